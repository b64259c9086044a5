package admission

import (
	"bytes"
	"encoding/json"
	"errors"
)

// object is a reviewed object as JSON, read once.
type object struct {
	// stripped is the object without metadata.managedFields.
	stripped []byte
	// top holds the object's top-level fields as sent.
	top map[string]json.RawMessage
}

// read prepares an object from the review for the decoder. It drops
// metadata.managedFields: the API server's records of field ownership,
// which no rule reads and which a client may nest as deep as the API server
// accepts, so that a depth limit meant for the fields the rules read cannot
// be turned into a way past the webhook. Go's JSON decoder copies a
// RawMessage without building it, at any depth up to its own limit.
func read(raw []byte) (*object, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, errors.New("the object is not a JSON object")
	}
	if mb, ok := top["metadata"]; ok {
		var meta map[string]json.RawMessage
		if err := json.Unmarshal(mb, &meta); err != nil {
			return nil, errors.New("metadata is not a JSON object")
		}
		if _, ok := meta["managedFields"]; ok {
			delete(meta, "managedFields")
			b, err := json.Marshal(meta)
			if err != nil {
				return nil, err
			}
			top["metadata"] = b
			if raw, err = json.Marshal(top); err != nil {
				return nil, err
			}
		}
	}
	return &object{stripped: raw, top: top}, nil
}

// sameContent reports whether two versions differ only in metadata and
// status. The API server encodes both versions of a review the same way,
// so equal fields are equal bytes.
func sameContent(a, b *object) bool {
	for k, v := range a.top {
		if k == "metadata" || k == "status" {
			continue
		}
		if w, ok := b.top[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	for k := range b.top {
		if _, ok := a.top[k]; !ok && k != "metadata" && k != "status" {
			return false
		}
	}
	return true
}
