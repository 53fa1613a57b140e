package config

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"xsoc/internal/codec"

	"go.temporal.io/sdk/client"
)

func codecEnv(values map[string]string) func(string) string {
	return func(name string) string { return values[name] }
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestLoadCodecNamesTheBadSetting(t *testing.T) {
	k1, _ := codec.NewKey("k1")
	k2, _ := codec.NewKey("k2")
	two := codec.FormatKeys([]codec.Key{k1, k2})
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"short key", map[string]string{EnvCodecKeys: "k1:c2hvcnQ="}, "XSOC_CODEC_KEYS: key \"k1\" is 5 bytes, want 32"},
		{"no id", map[string]string{EnvCodecKeys: ":" + two[3:47]}, "XSOC_CODEC_KEYS: entry 1 has an empty key id"},
		{"duplicate id", map[string]string{EnvCodecKeys: two + "," + two[:47]}, `XSOC_CODEC_KEYS: key id "k1" appears twice`},
		{"primary absent", map[string]string{EnvCodecKeys: two, EnvCodecKeyID: "k3"}, `XSOC_CODEC_KEY_ID="k3": key id "k3" is not among the keys (k1, k2)`},
		{"primary unnamed", map[string]string{EnvCodecKeys: two}, "XSOC_CODEC_KEY_ID is not set: name the key that encrypts among k1, k2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := LoadCodec(codecEnv(tc.env), quiet); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
	ring, err := LoadCodec(codecEnv(map[string]string{EnvCodecKeys: two, EnvCodecKeyID: "k2"}), quiet)
	if err != nil || ring.PrimaryID() != "k2" {
		t.Fatalf("two keys, k2 primary: %v, %v", ring, err)
	}
	one, err := LoadCodec(codecEnv(map[string]string{EnvCodecKeys: two[:47]}), quiet)
	if err != nil || one.PrimaryID() != "k1" {
		t.Fatalf("a single key encrypts without XSOC_CODEC_KEY_ID: %v, %v", one, err)
	}
}

func TestLoadCodecCreatesOneKeyFileAndSaysSo(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".xsoc", "codec.key")
	settings := codecEnv(map[string]string{EnvCodecKeyFile: path})
	// A worker and a starter started together must agree on one key.
	rings := make([]string, 8)
	var wg sync.WaitGroup
	for i := range rings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ring, err := LoadCodec(settings, quiet)
			if err != nil {
				t.Error(err)
				return
			}
			rings[i] = ring.PrimaryID()
		}()
	}
	wg.Wait()
	for _, id := range rings {
		if id != rings[0] || !strings.HasPrefix(id, "local-") {
			t.Fatalf("concurrent starts answered different keys: %v", rings)
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", info.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("the key directory holds %d files, want only the key file", len(entries))
	}

	var log strings.Builder
	ring, err := LoadCodec(settings, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil || ring.PrimaryID() != rings[0] {
		t.Fatalf("reading the key file again: %v, %v", ring, err)
	}
	for _, want := range []string{"XSOC_CODEC_KEYS is not set", "key_file=" + path, "created=false"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the warning lacks %q: %s", want, log.String())
		}
	}

	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCodec(settings, quiet); err == nil || !strings.Contains(err.Error(), "key file "+path+" (XSOC_CODEC_KEY_FILE): entry 1 has no ':'") {
		t.Fatalf("a corrupt key file: %v", err)
	}
}

// Payloads are compressed before they are encrypted: with a ring, requests go without
// gRPC's gzip; without one, the SDK's default stays.
func TestWithCodecSendsWithoutGzipOverCiphertext(t *testing.T) {
	key, _ := codec.NewKey("k1")
	ring, err := LoadCodec(codecEnv(map[string]string{EnvCodecKeys: codec.FormatKeys([]codec.Key{key})}), quiet)
	if err != nil {
		t.Fatal(err)
	}
	options := WithCodec(client.Options{}, ring)
	if _, ok := options.ConnectionOptions.GrpcCompression.(*client.GrpcCompressionNone); !ok {
		t.Errorf("gRPC compression = %T, want none", options.ConnectionOptions.GrpcCompression)
	}
	if options := WithCodec(client.Options{}, nil); options.ConnectionOptions.GrpcCompression != nil {
		t.Errorf("without a ring, gRPC compression = %T, want the SDK's default", options.ConnectionOptions.GrpcCompression)
	}
}
