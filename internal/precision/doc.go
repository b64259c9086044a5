// Package precision measures the engine on real upstream manifests that
// nobody on the team wrote, against hand-made labels (testdata/labels.yaml):
// a finding labelled false or noise must not come back, and precision per
// rule is reported. It has no code of its own beyond the test.
package precision
