package manifest

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/guardrail-k8s/guardrail/pkg/api"
	"github.com/guardrail-k8s/guardrail/pkg/helmchart"
	"github.com/guardrail-k8s/guardrail/pkg/inventory"
	"github.com/guardrail-k8s/guardrail/pkg/kustomize"
)

// Result is what a load produced: the objects in input order, and the
// problems met on the way.
type Result struct {
	// Objects are ordered by argument, file (lexically within a directory) and document.
	Objects []*inventory.Object
	// Problems are errors and warnings, ordered the same way.
	Problems []*api.Problem
	// Files is the number of files read.
	Files int
}

// Errors counts the problems that are errors, not warnings.
func (r *Result) Errors() int {
	n := 0
	for _, p := range r.Problems {
		if !p.Warning {
			n++
		}
	}
	return n
}

// Loader reads manifests. The zero value is not usable; use NewLoader.
type Loader struct {
	limits  Limits
	workers int
	stdin   io.Reader
	sink    func(*inventory.Object)
	chart   helmchart.Options
	// followLinks follows symlinks out of the scanned directory.
	followLinks bool
	exclude     []string
	// roots records, per resource file a kustomization built, the
	// kustomizations that reached it (written by produce only).
	roots map[string][]string
}

// Option configures a Loader.
type Option func(*Loader)

// WithLimits replaces the default limits.
func WithLimits(l Limits) Option { return func(ld *Loader) { ld.limits = l } }

// WithWorkers sets how many documents are decoded at once (default GOMAXPROCS).
func WithWorkers(n int) Option { return func(ld *Loader) { ld.workers = n } }

// WithSink calls fn with every object as soon as it is decoded, from the
// decoding goroutines, before the load completes: a streaming evaluation
// can then look at each object while it is still in the processor's cache
// and slim it before the next one is decoded.
func WithSink(fn func(*inventory.Object)) Option { return func(ld *Loader) { ld.sink = fn } }

// WithStdin sets the reader used for the path "-".
func WithStdin(r io.Reader) Option { return func(ld *Loader) { ld.stdin = r } }

// NewLoader returns a Loader with defaults changed by opts.
func NewLoader(opts ...Option) *Loader {
	ld := &Loader{limits: DefaultLimits(), workers: runtime.GOMAXPROCS(0), stdin: os.Stdin}
	for _, o := range opts {
		o(ld)
	}
	if ld.workers < 1 {
		ld.workers = 1
	}
	return ld
}

// job is one document to decode, with its place in the output order.
type job struct {
	file     string
	rendered *inventory.Rendered // set for a Helm template's output
	fileIdx  int
	docIdx   int
	ch       chunk
	problems []*api.Problem // a file-level problem instead of a chunk
}

type jobResult struct {
	fileIdx, docIdx int
	decoded
}

// LoadBytes decodes one in-memory input (an admission request's object)
// named name, in the calling goroutine.
func (ld *Loader) LoadBytes(name string, data []byte) *Result {
	res := &Result{Files: 1}
	for _, ch := range split(data) {
		d := decodeChunk(name, ch, ld.limits)
		res.Objects = append(res.Objects, d.objects...)
		res.Problems = append(res.Problems, d.problems...)
	}
	return res
}

// Load reads every path: files, directories (recursively, .yaml, .yml and
// .json) and "-" for stdin. Problems never stop the load.
func (ld *Loader) Load(paths []string) *Result {
	ld.roots = nil
	jobs := make(chan job, 256)
	results := make(chan jobResult, 256)
	var wg sync.WaitGroup
	for i := 0; i < ld.workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r := jobResult{fileIdx: j.fileIdx, docIdx: j.docIdx}
				if j.problems != nil {
					r.problems = j.problems
				} else {
					r.decoded = decodeChunk(j.file, j.ch, ld.limits)
					if j.rendered != nil {
						for _, o := range r.objects {
							o.Rendered = j.rendered
						}
					}
					if ld.sink != nil {
						for _, o := range r.objects {
							ld.sink(o)
						}
					}
				}
				results <- r
			}
		}()
	}
	res := &Result{}
	go func() {
		res.Files = ld.produce(paths, jobs)
		close(jobs)
		wg.Wait()
		close(results)
	}()
	// Warnings are capped as results arrive; a result left with no object
	// is not kept, so a flood of warnings never sits in memory.
	capped := newWarningCap()
	var errs []placed
	var all []jobResult
	for r := range results {
		errs = append(errs, capped.add(r.fileIdx, r.docIdx, r.problems)...)
		r.problems = nil
		if len(r.objects) > 0 {
			all = append(all, r)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].fileIdx != all[j].fileIdx {
			return all[i].fileIdx < all[j].fileIdx
		}
		return all[i].docIdx < all[j].docIdx
	})
	for _, r := range all {
		res.Objects = append(res.Objects, r.objects...)
	}
	res.Problems = append(capped.problems(errs), ld.sharedRootNotes()...)
	return res
}

// produce reads files in order and queues their documents; it returns the
// number of files read.
func (ld *Loader) produce(paths []string, jobs chan<- job) int {
	fileIdx := 0
	emit := func(name string, data []byte, err error) {
		idx := fileIdx
		fileIdx++
		if err != nil {
			jobs <- job{file: name, fileIdx: idx, problems: []*api.Problem{{Location: api.Location{File: name}, Message: err.Error()}}}
			return
		}
		for d, ch := range split(data) {
			jobs <- job{file: name, fileIdx: idx, docIdx: d, ch: ch}
		}
	}
	// rendered is emit for a template's output: its objects map lines
	// back to the template.
	rendered := func(name string, data []byte, r *inventory.Rendered) {
		idx := fileIdx
		fileIdx++
		for d, ch := range split(data) {
			jobs <- job{file: name, fileIdx: idx, docIdx: d, ch: ch, rendered: r}
		}
	}
	warn := func(name, msg, hint string) {
		idx := fileIdx
		fileIdx++
		jobs <- job{file: name, fileIdx: idx, problems: []*api.Problem{{Location: api.Location{File: name}, Message: msg, Hint: hint, Warning: true}}}
	}
	for _, p := range paths {
		if p == "-" {
			data, err := ld.readLimited(ld.stdin, "-")
			emit("-", data, err)
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			emit(p, nil, fmt.Errorf("cannot read: %w", unwrapPath(err)))
			continue
		}
		if (info.IsDir() && isChart(p)) || (!info.IsDir() && isChartArchive(p)) {
			ld.renderChart(p, emit, rendered)
			continue
		}
		if info.IsDir() && kustomize.Kustomization(p) != "" {
			ld.buildKustomization(p, emit)
			continue
		}
		if info.Mode()&(fs.ModeDevice|fs.ModeCharDevice) != 0 {
			emit(p, nil, fmt.Errorf("a device, not a file; nothing read"))
			continue
		}
		if !info.IsDir() {
			data, err := ld.readFile(p)
			emit(p, data, err)
			continue
		}
		_ = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				emit(path, nil, fmt.Errorf("cannot read: %w", unwrapPath(err)))
				return nil
			}
			if path != p && ld.excluded(p, path) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() && isChart(path) {
				ld.renderChart(path, emit, rendered)
				return filepath.SkipDir
			}
			if !d.IsDir() && isChartArchive(path) {
				ld.renderChart(path, emit, rendered)
				return nil
			}
			if d.IsDir() && kustomize.Kustomization(path) != "" {
				ld.buildKustomization(path, emit)
				return filepath.SkipDir
			}
			if read, err := reads(p, path, d); !read {
				return err
			}
			// Only regular files are read in a walk: a FIFO would block
			// the scan forever, and a device never ends. A symlink is
			// followed only to a regular file inside the scanned root,
			// unless WithFollowSymlinks.
			if d.Type()&fs.ModeSymlink != 0 {
				target, err := filepath.EvalSymlinks(path)
				if err != nil {
					emit(path, nil, fmt.Errorf("cannot read: %w", unwrapPath(err)))
					return nil
				}
				if !ld.followLinks && !inside(p, target) {
					warn(path, "a symlink that leaves the scanned directory; skipped", "scan its target directly, or pass --follow-symlinks")
					return nil
				}
				info, err := os.Stat(target)
				if err != nil || !info.Mode().IsRegular() {
					warn(path, "a symlink to something that is not a regular file; skipped", "")
					return nil
				}
			} else if !d.Type().IsRegular() {
				warn(path, "not a regular file (a FIFO, socket or device); skipped", "")
				return nil
			}
			data, err := ld.readFile(path)
			emit(path, data, err)
			return nil
		})
	}
	return fileIdx
}

// reads says whether a walk of root reads the entry at path: manifests
// (.yaml, .yml, .json) that are not dot-files (.guardrail.yaml, editor
// files), outside dot-directories; err is filepath.SkipDir for those.
func reads(root, path string, d fs.DirEntry) (read bool, err error) {
	if d.IsDir() {
		if path != root && strings.HasPrefix(d.Name(), ".") {
			return false, filepath.SkipDir
		}
		return false, nil
	}
	return manifestExt(path) && !strings.HasPrefix(d.Name(), "."), nil
}

// InputSize is the number of bytes Load reads from paths ("-" counts as 0):
// directories count only the files a scan reads.
func InputSize(paths []string) int64 {
	var total int64
	for _, p := range paths {
		if p == "-" {
			continue
		}
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			total += info.Size()
			continue
		}
		_ = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			read, skip := reads(p, path, d)
			if read {
				if info, err := d.Info(); err == nil {
					total += info.Size()
				}
			}
			return skip
		})
	}
	return total
}

func manifestExt(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func (ld *Loader) readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", unwrapPath(err))
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
		if info.Size() > ld.limits.MaxFileBytes {
			return nil, fmt.Errorf("file is over the %d byte limit; split it", ld.limits.MaxFileBytes)
		}
		data := make([]byte, info.Size())
		if _, err := io.ReadFull(f, data); err != nil {
			return nil, fmt.Errorf("cannot read: %w", err)
		}
		return data, nil
	}
	return ld.readLimited(f, path)
}

func (ld *Loader) readLimited(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, ld.limits.MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	if int64(len(data)) > ld.limits.MaxFileBytes {
		return nil, fmt.Errorf("file is over the %d byte limit; split it", ld.limits.MaxFileBytes)
	}
	return data, nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
