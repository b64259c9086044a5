package admission

import (
	"crypto/tls"
	"os"
	"sync"
	"time"
)

// FileCerts serves a certificate from files (a cert-manager Secret mounted
// into the pod) and reloads it when either file changes, checking at most
// every Interval, so a renewal needs no restart.
type FileCerts struct {
	CertFile, KeyFile string
	// Interval bounds how often the files are checked (default 10s).
	Interval time.Duration

	mu      sync.Mutex
	cert    *tls.Certificate
	modTime time.Time
	checked time.Time
}

// LoadFileCerts reads the files once, failing if they are unusable.
func LoadFileCerts(certFile, keyFile string) (*FileCerts, error) {
	f := &FileCerts{CertFile: certFile, KeyFile: keyFile}
	if err := f.reload(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *FileCerts) reload() error {
	cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		return err
	}
	f.cert, f.modTime = &cert, latestModTime(f.CertFile, f.KeyFile)
	return nil
}

func latestModTime(paths ...string) time.Time {
	var t time.Time
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.ModTime().After(t) {
			t = st.ModTime()
		}
	}
	return t
}

// GetCertificate returns the current certificate, reloading changed files.
// A renewal that cannot be read keeps the previous certificate.
func (f *FileCerts) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	interval := f.Interval
	if interval <= 0 {
		interval = 10 * time.Second
	}
	if time.Since(f.checked) >= interval {
		f.checked = time.Now()
		if latestModTime(f.CertFile, f.KeyFile).After(f.modTime) {
			_ = f.reload()
		}
	}
	return f.cert, nil
}
