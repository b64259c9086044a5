// Package report prints scan results: a table for people, and JSON, YAML,
// SARIF 2.1.0, JUnit XML and Markdown for machines and pull requests. Every
// printer reads the same engine.Result and only formats it.
package report
