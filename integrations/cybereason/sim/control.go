package sim

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// control registers the /_sim/ API documented on the package.
func (s *Server) control(mux *http.ServeMux) {
	mux.HandleFunc("POST /_sim/malops", s.controlAddMalop)
	mux.HandleFunc("GET /_sim/malops", s.controlListMalops)
	mux.HandleFunc("GET /_sim/malops/{guid}", s.controlGetMalop)
	mux.HandleFunc("POST /_sim/sensors", s.controlAddSensor)
	mux.HandleFunc("GET /_sim/isolated", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Isolated())
	})
	mux.HandleFunc("GET /_sim/calls", func(w http.ResponseWriter, _ *http.Request) {
		calls := s.Calls()
		if calls == nil {
			calls = []Call{}
		}
		writeJSON(w, http.StatusOK, calls)
	})
	mux.HandleFunc("DELETE /_sim/calls", func(w http.ResponseWriter, _ *http.Request) {
		s.ResetCalls()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/expire-sessions", func(w http.ResponseWriter, _ *http.Request) {
		s.ExpireSessions()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/fail", s.controlFail)
	mux.HandleFunc("POST /_sim/slow", s.controlSlow)
}

func (s *Server) controlSlow(w http.ResponseWriter, r *http.Request) {
	var slow struct {
		Path  string `json:"path"`
		Delay string `json:"delay"`
		Times int    `json:"times"`
	}
	if err := decodeStrict(r, &slow); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "slow: " + err.Error()})
		return
	}
	delay, err := time.ParseDuration(slow.Delay)
	if !strings.HasPrefix(slow.Path, "/") || err != nil || delay <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "slow: path (starting with /) and delay (a duration such as 5s) are required"})
		return
	}
	s.SlowNext(slow.Path, delay, slow.Times)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) controlAddMalop(w http.ResponseWriter, r *http.Request) {
	var m Malop
	if err := decodeStrict(r, &m); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "malop: " + err.Error()})
		return
	}
	guid, err := s.AddMalop(m)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "malop: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"guid": guid})
}

func (s *Server) controlListMalops(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	states := []MalopState{}
	for _, m := range s.sortedMalops() {
		states = append(states, m.state())
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, states)
}

func (s *Server) controlGetMalop(w http.ResponseWriter, r *http.Request) {
	state, ok := s.MalopState(r.PathValue("guid"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "no MalOp " + r.PathValue("guid")})
		return
	}
	writeJSON(w, http.StatusOK, state)
}

func (s *Server) controlAddSensor(w http.ResponseWriter, r *http.Request) {
	var sensor Sensor
	if err := decodeStrict(r, &sensor); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "sensor: " + err.Error()})
		return
	}
	pylumID, err := s.AddSensor(sensor)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "sensor: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"pylumId": pylumID})
}

func (s *Server) controlFail(w http.ResponseWriter, r *http.Request) {
	var f struct {
		Path       string `json:"path"`
		Status     int    `json:"status"`
		Times      int    `json:"times"`
		RetryAfter string `json:"retry_after"`
		Message    string `json:"message"`
	}
	if err := decodeStrict(r, &f); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "fail: " + err.Error()})
		return
	}
	if !strings.HasPrefix(f.Path, "/") || f.Status < 100 || f.Status > 599 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "fail: path (starting with /) and status (100-599) are required"})
		return
	}
	if f.Message == "" {
		s.FailNext(f.Path, f.Status, f.Times, f.RetryAfter)
	} else {
		s.FailNextWith(f.Path, f.Status, f.Times, f.RetryAfter, f.Message)
	}
	w.WriteHeader(http.StatusNoContent)
}

// decodeStrict refuses unknown fields, so that a typo in a demo script is told.
func decodeStrict(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
