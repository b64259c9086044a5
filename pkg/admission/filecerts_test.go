package admission

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func writePair(t *testing.T, dir string) {
	ca, err := NewCertAuthority([]string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := ca.GetCertificate(nil)
	key, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "tls.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o600)
	os.WriteFile(filepath.Join(dir, "tls.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600)
}

func TestFileCertsReloadWithoutRestart(t *testing.T) {
	dir := t.TempDir()
	writePair(t, dir)
	f, err := LoadFileCerts(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
	if err != nil {
		t.Fatal(err)
	}
	f.Interval = time.Millisecond
	first, _ := f.GetCertificate(nil)
	time.Sleep(20 * time.Millisecond) // a later modification time
	writePair(t, dir)
	os.Chtimes(filepath.Join(dir, "tls.crt"), time.Now().Add(time.Second), time.Now().Add(time.Second))
	time.Sleep(5 * time.Millisecond)
	second, _ := f.GetCertificate(nil)
	if string(first.Certificate[0]) == string(second.Certificate[0]) {
		t.Fatal("renewed certificate not picked up")
	}
	// A broken renewal keeps the last good certificate.
	os.WriteFile(filepath.Join(dir, "tls.crt"), []byte("garbage"), 0o600)
	os.Chtimes(filepath.Join(dir, "tls.crt"), time.Now().Add(2*time.Second), time.Now().Add(2*time.Second))
	time.Sleep(5 * time.Millisecond)
	if third, _ := f.GetCertificate(nil); third != second {
		t.Fatal("a broken renewal replaced the certificate")
	}
}
