package simkit

import (
	"encoding/json"
	"net/http"
)

// JSONWriter answers JSON as a simulator's vendor does, with its Content-Type
// ("application/json;charset=UTF-8" for Cybereason, for instance).
func JSONWriter(contentType string) func(w http.ResponseWriter, status int, v any) {
	return func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to tell it
	}
}
