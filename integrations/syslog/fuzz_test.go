package syslog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// seedSamples adds every event of the testdata files of a format to the corpus.
func seedSamples(f *testing.F, suffix string) {
	files, _ := filepath.Glob("testdata/*" + suffix)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for line := range strings.SplitSeq(string(data), "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				f.Add(line)
			}
		}
	}
}

// checkEvent holds for any text a parser accepts: the event becomes an alert or says
// why not, its id is fit for a workflow id and the same on a second parse.
func checkEvent(t *testing.T, format Format, text string, e Event) {
	for key := range e.Fields {
		if key == "" {
			t.Fatalf("%q: an empty key", text)
		}
	}
	s := Source{Name: "fuzz", Format: format, Severity: DefaultSeverity}
	alert, err := s.Alert(e, Origin{Hostname: "fw01", Address: "192.0.2.1"})
	if err != nil {
		t.Fatalf("%q: an event from a known sender has no alert: %v", text, err)
	}
	if !safeID(alert.ID) || len(alert.ID) > maxIDLength+len("leef-") {
		t.Fatalf("%q: id %q is not fit for a workflow id", text, alert.ID)
	}
	again, err := Parse(format, text)
	if err != nil {
		t.Fatalf("%q: parsed once, not twice: %v", text, err)
	}
	if second, _ := s.Alert(again, Origin{}); second.ID != alert.ID {
		t.Fatalf("%q: id %q, then %q", text, alert.ID, second.ID)
	}
	_ = s.Ignored(alert, e)
}

func FuzzParseCEF(f *testing.F) {
	seedSamples(f, ".log")
	for _, seed := range []string{"CEF:", "CEF:0|||||||", `CEF:0|a\|b|c\\|d|e|f|g|h=\=\\\n i=`, "CEF:0|v|p|1|1|n|5|a= b=  =c", "CEF:1|v|p|1|1|n|5|k=v\\"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		e, err := ParseCEF(text)
		if err != nil {
			return
		}
		checkEvent(t, CEF, text, e)
	})
}

func FuzzParseLEEF(f *testing.F) {
	seedSamples(f, ".leef")
	for _, seed := range []string{"LEEF:", "LEEF:2.0|||||", "LEEF:2.0|v|p|1|e|x|a=b", "LEEF:2.0|v|p|1|e|0x|a=b", "LEEF:2.0|v|p|1|e|x7C|a=b|c|=d|\\|e=f"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		e, err := ParseLEEF(text)
		if err != nil {
			return
		}
		if e.Delimiter == "" || e.Delimiter == "=" {
			t.Fatalf("%q: delimiter %q", text, e.Delimiter)
		}
		checkEvent(t, LEEF, text, e)
	})
}

// A CEF event written with the specification's escapes reads back as written, for any
// values: the parser and the specification agree.
func FuzzCEFRoundTrip(f *testing.F) {
	f.Add("Fortinet", `utm:ips | signature \ reset`, "7", "msg", "a=b \\ c\nd | e", "act", "blocked")
	f.Add("v", "n", "Very-High", "request", "http://x.example/?a=b c", "suser", `ACME\taro`)
	f.Fuzz(func(t *testing.T, vendor, name, severity, key1, value1, key2, value2 string) {
		for _, s := range []string{vendor, name, severity, value1, value2} {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\r") {
				return
			}
		}
		if !validKey(key1) || !validKey(key2) || key1 == key2 || strings.TrimSpace(name) == "" ||
			strings.TrimSpace(severity) != severity || strings.HasSuffix(value1, " ") || strings.HasSuffix(value2, " ") ||
			strings.HasSuffix(value2, "\n") || cefFullNames[key1] != "" || cefFullNames[key2] != "" {
			return
		}
		text := "CEF:0|" + escapeHeader(vendor) + "|product|1.0|100|" + escapeHeader(name) + "|" + escapeHeader(severity) +
			"|" + key1 + "=" + escapeValue(value1) + " " + key2 + "=" + escapeValue(value2)
		e, err := ParseCEF(text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if e.Vendor != vendor || e.Name != name || e.Severity != severity || e.Fields[key1] != value1 || e.Fields[key2] != value2 {
			t.Fatalf("%q read as vendor %q name %q severity %q %s=%q %s=%q", text, e.Vendor, e.Name, e.Severity, key1, e.Fields[key1], key2, e.Fields[key2])
		}
	})
}

func validKey(key string) bool {
	if key == "" || len(key) > 40 {
		return false
	}
	for i := 0; i < len(key); i++ {
		if !isKeyByte(key[i]) {
			return false
		}
	}
	return true
}

func escapeHeader(s string) string {
	return strings.NewReplacer(`\`, `\\`, "|", `\|`).Replace(s)
}

// escapeValue escapes an extension value as the specification says.
func escapeValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, "=", `\=`, "\n", `\n`).Replace(s)
}
