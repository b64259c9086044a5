package manifest

// Limits bound what one input may cost to decode.
type Limits struct {
	// MaxFileBytes is the largest file (or stdin) read.
	MaxFileBytes int64
	// MaxDocumentBytes is the largest single YAML document decoded.
	MaxDocumentBytes int
	// MaxDepth is the deepest nesting of mappings and sequences.
	MaxDepth int
	// MaxNodes is the most values one document may expand to, counting
	// every expansion of a YAML alias (the "billion laughs" guard).
	MaxNodes int
}

// DefaultLimits are generous for real manifests (the API server refuses
// objects over about 1.5 MB) and refuse inputs built to exhaust the scanner.
func DefaultLimits() Limits {
	return Limits{
		MaxFileBytes:     512 << 20,
		MaxDocumentBytes: 8 << 20,
		MaxDepth:         100,
		MaxNodes:         1_000_000,
	}
}
