package syslog

import (
	"maps"
	"reflect"
	"strings"
	"testing"
)

func TestCEFHeaderAndExtensionEscapes(t *testing.T) {
	cases := []struct {
		name, text string
		want       Event
	}{
		{"pipe and backslash in the header", `CEF:0|ACME\|Labs|Fire\\Wall|1|100|detected a \| and a \\|5|src=10.0.0.1`,
			Event{Vendor: "ACME|Labs", Product: `Fire\Wall`, Name: `detected a | and a \`, Severity: "5", Fields: map[string]string{"src": "10.0.0.1"}}},
		{"equal sign, backslash, pipe and line breaks in values", `CEF:0|v|p|1|100|n|5|msg=a\=b c\\d e|f\nline two\r act=blocked`,
			Event{Vendor: "v", Product: "p", Name: "n", Severity: "5", Fields: map[string]string{"msg": "a=b c\\d e|f\nline two\r", "act": "blocked"}}},
		{"values with spaces end at the next key", `CEF:1|v|p|1|100|n|Very-High|cs1Label=Virtual System cs1=vsys 1  request=http://x.example/a b?c=d dst=10.0.0.2`,
			Event{Version: "1", Vendor: "v", Product: "p", Name: "n", Severity: "Very-High", Fields: map[string]string{
				"cs1Label": "Virtual System", "cs1": "vsys 1", "request": "http://x.example/a b?c=d", "dst": "10.0.0.2"}}},
		{"an unknown escape keeps its backslash", `CEF:0|v|p|1|100|n|3|filePath=C:\Windows\temp\x.exe suser=ACME\\taro`,
			Event{Vendor: "v", Product: "p", Name: "n", Severity: "3", Fields: map[string]string{"filePath": `C:\Windows\temp\x.exe`, "suser": `ACME\taro`}}},
		{"empty values", `CEF:0|v|p|1|100|n|3|duser= suser=bob cs1=`,
			Event{Vendor: "v", Product: "p", Name: "n", Severity: "3", Fields: map[string]string{"duser": "", "suser": "bob", "cs1": ""}}},
		{"full key names read as short ones", `CEF:0|v|p|1|100|n|3|sourceAddress=10.0.0.1 destinationHostName=db01 requestUrl=http://e.example/`,
			Event{Vendor: "v", Product: "p", Name: "n", Severity: "3", Fields: map[string]string{"src": "10.0.0.1", "dhost": "db01", "request": "http://e.example/"}}},
		{"FortiGate's space after CEF: and a prefix before it", `FGT-A-LOG CEF: 0|Fortinet|Fortigate|v6.0.3|16384|utm:ips signature reset|7|src=172.16.200.55`,
			Event{Vendor: "Fortinet", Product: "Fortigate", ProductVersion: "v6.0.3", Signature: "16384", Name: "utm:ips signature reset", Severity: "7",
				Fields: map[string]string{"src": "172.16.200.55"}}},
		{"no extension and no last pipe", `CEF:0|v|p|1|100|n|3`,
			Event{Vendor: "v", Product: "p", Name: "n", Severity: "3", Fields: map[string]string{}}},
		{"an equal sign left unescaped inside a value stays in it", `CEF:0|v|p|1|100|n|3|request=http://x.example/?a=b&c=d src=10.0.0.1`,
			Event{Vendor: "v", Product: "p", Name: "n", Severity: "3", Fields: map[string]string{"request": "http://x.example/?a=b&c=d", "src": "10.0.0.1"}}},
		{"a trailing line break is no part of the last value", "CEF:0|v|p|1|100|n|3|act=blocked  \n",
			Event{Vendor: "v", Product: "p", Name: "n", Severity: "3", Fields: map[string]string{"act": "blocked"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseCEF(c.text)
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			want.Format = CEF
			if want.Version == "" {
				want.Version = "0"
			}
			if want.ProductVersion == "" && got.ProductVersion == "1" {
				want.ProductVersion = "1"
			}
			if want.Signature == "" && got.Signature == "100" {
				want.Signature = "100"
			}
			requireEvent(t, got, want)
		})
	}
}

func TestMalformedCEFIsRefusedWithWhy(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"not CEF", "<13>Jan 1 00:00:00 host sshd[1]: Accepted password", `no "CEF:"`},
		{"short header", "CEF:0|v|p|1|100", "header has 4 of its 7"},
		{"version", "CEF:x|v|p|1|100|n|3|src=1", `version "x"`},
		{"no name nor class id", "CEF:0|v|p|1|||3|src=1", "neither a Name"},
		{"extension without key=value", "CEF:0|v|p|1|100|n|3|just words here", "want key=value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseCEF(c.text)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}

func TestLEEFVersionsAndDelimiters(t *testing.T) {
	attributes := map[string]string{"src": "192.0.2.0", "dst": "172.50.123.1", "sev": "5", "usrName": "joe.black"}
	cases := []struct {
		name, text, delimiter string
		want                  map[string]string
	}{
		{"1.0 with tabs", "LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tusrName=joe.black", "\t", attributes},
		{"2.0 with a caret", "LEEF:2.0|Microsoft|MSExchange|4.0 SP1|15345|^|src=192.0.2.0^dst=172.50.123.1^sev=5^usrName=joe.black", "^", attributes},
		{"2.0 with x5E", "LEEF:2.0|Microsoft|MSExchange|4.0 SP1|15345|x5E|src=192.0.2.0^dst=172.50.123.1^sev=5^usrName=joe.black", "^", attributes},
		{"2.0 with 0x5e", "LEEF:2.0|Microsoft|MSExchange|4.0 SP1|15345|0x5e|src=192.0.2.0^dst=172.50.123.1^sev=5^usrName=joe.black", "^", attributes},
		{"2.0 with x09", "LEEF:2.0|Microsoft|MSExchange|4.0 SP1|15345|x09|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tusrName=joe.black", "\t", attributes},
		{"2.0 with a pipe as x7C", "LEEF:2.0|Microsoft|MSExchange|4.0 SP1|15345|x7C|src=192.0.2.0|dst=172.50.123.1|sev=5|usrName=joe.black|", "|", attributes},
		{"2.0 with no delimiter field", "LEEF:2.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tusrName=joe.black", "\t", attributes},
		{"2.0 with an empty delimiter field", "LEEF:2.0|Microsoft|MSExchange|4.0 SP1|15345||src=192.0.2.0\tdst=172.50.123.1\tsev=5\tusrName=joe.black", "\t", attributes},
		{"2.0 with a multi-byte delimiter", "LEEF:2.0|Microsoft|MSExchange|4.0 SP1|15345|x00A7|src=192.0.2.0§dst=172.50.123.1§sev=5§usrName=joe.black", "§", attributes},
		{"an escaped delimiter and equal signs in values", `LEEF:2.0|V|P|1|E|^|url=http://x.example/?a=b^msg=one\^two^sev=3`, "^",
			map[string]string{"url": "http://x.example/?a=b", "msg": "one^two", "sev": "3"}},
		{"a delimiter left unescaped in a value joins it", "LEEF:2.0|V|P|1|E|x7C|msg=a|b|c|sev=3", "|",
			map[string]string{"msg": "a|b|c", "sev": "3"}},
		{"a Windows path keeps its backslashes", "LEEF:1.0|V|P|1|E|usrName=ACME\\taro\tfilePath=C:\\Windows\\x.exe\r\n", "\t",
			map[string]string{"usrName": `ACME\taro`, "filePath": `C:\Windows\x.exe`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseLEEF(c.text)
			if err != nil {
				t.Fatal(err)
			}
			if got.Delimiter != c.delimiter {
				t.Errorf("delimiter %q, want %q", got.Delimiter, c.delimiter)
			}
			if got.Signature != got.Name || got.Name == "" {
				t.Errorf("name %q and signature %q: want the EventID in both", got.Name, got.Signature)
			}
			if !maps.Equal(got.Fields, c.want) {
				t.Errorf("fields %q, want %q", got.Fields, c.want)
			}
			if got.Severity != c.want["sev"] {
				t.Errorf("severity %q, want sev %q", got.Severity, c.want["sev"])
			}
		})
	}
}

func TestMalformedLEEFIsRefusedWithWhy(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"not LEEF", "CEF:0|v|p|1|100|n|3|", `no "LEEF:"`},
		{"short header", "LEEF:1.0|V|P|1", "header has 3 of its 5"},
		{"version", "LEEF:3.0|V|P|1|E|src=1", `version "3.0"`},
		{"no event id", "LEEF:1.0|V|P|1||src=1", "no EventID"},
		{"bad hex delimiter", "LEEF:2.0|V|P|1|E|xZZ|src=1", `delimiter "xZZ"`},
		{"long delimiter", "LEEF:2.0|V|P|1|E|ab|src=1", `delimiter "ab"`},
		{"equal sign as delimiter", "LEEF:2.0|V|P|1|E|x3D|src=1", "not a usable character"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseLEEF(c.text)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}

func requireEvent(t *testing.T, got, want Event) {
	t.Helper()
	gotFields, wantFields := got.Fields, want.Fields
	if wantFields == nil {
		wantFields = map[string]string{}
	}
	got.Fields, want.Fields = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("header\n got %+v\nwant %+v", got, want)
	}
	if !maps.Equal(gotFields, wantFields) {
		t.Errorf("fields\n got %q\nwant %q", gotFields, wantFields)
	}
}
