// Command corpusgen writes a reproducible corpus of realistic manifests:
//
//	go run ./hack/corpusgen -n 12000 -out corpus/12k
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/guardrail-k8s/guardrail/internal/corpus"
)

func main() {
	n := flag.Int("n", 12000, "number of objects")
	out := flag.String("out", "corpus", "output directory")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	size, err := corpus.New(*seed).WriteDir(*out, *n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "corpusgen:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d objects (%.1f MB) to %s\n", *n, float64(size)/1e6, *out)
}
