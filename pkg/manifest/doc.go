// Package manifest decodes Kubernetes manifests: files, directories and
// stdin; multi-document YAML, JSON and List kinds. Known kinds become the
// typed objects of k8s.io/api, unknown kinds and CRDs stay unstructured, and
// every object keeps the line of every field it wrote.
//
// Decoding is parallel and bounded: oversized documents, excessive nesting
// and alias bombs are refused with an error naming the file and line, and a
// bad document never stops the others from being read.
package manifest
