// Package fieldpath maps field paths such as
// "spec.template.spec.containers[0].securityContext" to the line they were
// written on, without keeping the source text. A decoder records one 64-bit
// hash per field; a lookup hashes the path it is asked about the same way.
package fieldpath

import (
	"cmp"
	"slices"
	"sort"
	"strconv"
)

// Hash is the running FNV-1a hash of a field path. The zero path (the
// object itself) is Root.
type Hash uint64

// Root is the hash of the empty path: the object itself.
const Root Hash = 14695981039346656037

const prime64 = 1099511628211

// Key extends h with a mapping key segment.
func (h Hash) Key(k string) Hash {
	h = (h ^ 1) * prime64
	for i := 0; i < len(k); i++ {
		h = (h ^ Hash(k[i])) * prime64
	}
	return (h ^ 0xff) * prime64
}

// Index extends h with a sequence index segment.
func (h Hash) Index(i int) Hash {
	h = (h ^ 2) * prime64
	for v := uint64(i); ; v >>= 8 {
		h = (h ^ Hash(v&0xff)) * prime64
		if v < 256 {
			break
		}
	}
	return (h ^ 0xfe) * prime64
}

// Segment is one step of a parsed path: a key, or an index when IsIndex.
type Segment struct {
	Key     string
	Index   int
	IsIndex bool
}

// Parse splits a path written the way k8s.io/apimachinery's field.Path
// prints it: "a.b[2].c[some.key]". A bracketed run of digits is an index;
// any other bracketed text is a key, which may contain dots.
func Parse(path string) []Segment { return appendSegments(nil, path) }

// appendSegments appends the segments of path to segs.
func appendSegments(segs []Segment, path string) []Segment {
	i := 0
	for i < len(path) {
		switch path[i] {
		case '.':
			i++
		case '[':
			j := i + 1
			for j < len(path) && path[j] != ']' {
				j++
			}
			inner := path[i+1 : j]
			if n, err := strconv.Atoi(inner); err == nil && n >= 0 {
				segs = append(segs, Segment{Index: n, IsIndex: true})
			} else {
				segs = append(segs, Segment{Key: inner})
			}
			i = j + 1
		default:
			j := i
			for j < len(path) && path[j] != '.' && path[j] != '[' {
				j++
			}
			segs = append(segs, Segment{Key: path[i:j]})
			i = j
		}
	}
	return segs
}

// Index records the line of every field of one object. Build it with
// Builder; it is immutable afterwards and safe for concurrent reads. It
// keeps 32 bits of each hash: a collision could only misplace a line
// number (odds about 1 in 30 million per lookup in a 150-field object),
// and it halves the index, which is held for every object of a scan.
type Index struct {
	hashes []uint32
	lines  []int32
}

func short(h Hash) uint32 { return uint32(h ^ h>>32) }

// Builder accumulates (hash, line) pairs for an Index.
type Builder struct {
	entries []entry
}

type entry struct {
	h    Hash
	line int32
}

// Add records that the field whose path hashes to h was written on line.
// The first line recorded for a hash wins.
func (b *Builder) Add(h Hash, line int) {
	b.entries = append(b.entries, entry{h, int32(line)})
}

// Len is the number of recorded fields.
func (b *Builder) Len() int { return len(b.entries) }

// Grow makes room for n more fields.
func (b *Builder) Grow(n int) { b.entries = slices.Grow(b.entries, n) }

// Build sorts the entries into an Index and resets the builder.
func (b *Builder) Build() *Index {
	slices.SortStableFunc(b.entries, func(a, c entry) int { return cmp.Compare(short(a.h), short(c.h)) })
	ix := &Index{hashes: make([]uint32, 0, len(b.entries)), lines: make([]int32, 0, len(b.entries))}
	for i, e := range b.entries {
		if i > 0 && short(e.h) == short(b.entries[i-1].h) {
			continue
		}
		ix.hashes = append(ix.hashes, short(e.h))
		ix.lines = append(ix.lines, e.line)
	}
	b.entries = nil
	return ix
}

func (ix *Index) find(full Hash) (int, bool) {
	h := short(full)
	i := sort.Search(len(ix.hashes), func(i int) bool { return ix.hashes[i] >= h })
	if i < len(ix.hashes) && ix.hashes[i] == h {
		return int(ix.lines[i]), true
	}
	return 0, false
}

// Line returns the line of path, or of its nearest recorded ancestor when the
// field itself was not written (a missing securityContext points at its
// container). It returns 0 when nothing is known.
func (ix *Index) Line(path string) int {
	if ix == nil {
		return 0
	}
	var segBuf [24]Segment // paths are short: no allocation per lookup
	var hashBuf [25]Hash
	segs := appendSegments(segBuf[:0], path)
	hs := hashBuf[:0]
	if len(segs)+1 > len(hashBuf) {
		hs = make([]Hash, 0, len(segs)+1)
	}
	hs = hs[:len(segs)+1]
	hs[0] = Root
	for i, s := range segs {
		if s.IsIndex {
			hs[i+1] = hs[i].Index(s.Index)
		} else {
			hs[i+1] = hs[i].Key(s.Key)
		}
	}
	for i := len(hs) - 1; i >= 0; i-- {
		if l, ok := ix.find(hs[i]); ok {
			return l
		}
	}
	return 0
}

// Len is the number of recorded fields.
func (ix *Index) Len() int { return len(ix.hashes) }

// Equal reports whether two indexes record the same fields on the same lines.
func (ix *Index) Equal(o *Index) bool {
	if len(ix.hashes) != len(o.hashes) {
		return false
	}
	for i := range ix.hashes {
		if ix.hashes[i] != o.hashes[i] || ix.lines[i] != o.lines[i] {
			return false
		}
	}
	return true
}
