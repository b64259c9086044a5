package admission_test

import "crypto/tls"

func insecure() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }
