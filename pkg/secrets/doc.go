// Package secrets detects credentials in configuration values, by the name
// they are stored under and by the shape of the value (private keys, cloud
// keys, tokens, JWTs, URLs with passwords, high-entropy strings), and
// redacts them. A detected value is never returned in full.
package secrets
