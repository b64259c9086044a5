package api

import "fmt"

// Problem is an input error or warning: a document that could not be read,
// a field of the wrong type, an unknown field. It always says where and,
// when it can, what to do.
type Problem struct {
	// Location is the file and line; Line is 0 when the whole file is concerned.
	Location Location `json:"location"`
	// Object names the object ("Deployment/web") when it is known.
	Object string `json:"object,omitempty"`
	// Field is the field path when the problem is about one field.
	Field string `json:"field,omitempty"`
	// Message says what is wrong.
	Message string `json:"message"`
	// Hint says what to do about it.
	Hint string `json:"hint,omitempty"`
	// Warning is true when the input was still used (an unknown field, a
	// document that is not a Kubernetes object). Errors make scan exit 2.
	Warning bool `json:"warning,omitempty"`
	// More counts the warnings like this one that were left out (the
	// loader keeps MaxRepeatedWarnings of each).
	More int `json:"more,omitempty"`
}

// Error formats p as "file:line: object: field: message (hint)".
func (p *Problem) Error() string {
	s := p.Location.File
	if s == "" {
		s = "<input>"
	}
	if p.Location.Line > 0 {
		s = fmt.Sprintf("%s:%d", s, p.Location.Line)
	}
	if p.Object != "" {
		s += ": " + p.Object
	}
	if p.Field != "" {
		s += ": " + p.Field
	}
	s += ": " + p.Message
	if p.Hint != "" {
		s += " (" + p.Hint + ")"
	}
	return s
}
