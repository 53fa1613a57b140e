package config

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"go.temporal.io/sdk/client"

	"xsoc/internal/codec"
)

// The codec key settings. They are read through a lookup function rather than
// envconfig so that the dev stack resolves the very keys its worker and starter will
// use from the environment it hands them.
const (
	EnvCodecKeys    = "XSOC_CODEC_KEYS"
	EnvCodecKeyID   = "XSOC_CODEC_KEY_ID"
	EnvCodecKeyFile = "XSOC_CODEC_KEY_FILE"
	// DefaultCodecKeyFile is where a process keeps its generated key when no keys are
	// set: beside the dev server's database under .xsoc/.
	DefaultCodecKeyFile = ".xsoc/codec.key"
)

// LoadCodec builds the payload key ring from XSOC_CODEC_KEYS (`id1:base64key,...`) and
// XSOC_CODEC_KEY_ID (the key that encrypts; may be left out when there is one key).
// Without XSOC_CODEC_KEYS it reads the key file XSOC_CODEC_KEY_FILE, creating it with a
// fresh key when it does not exist, and warns: fine on a laptop, not for production,
// where the key must outlive the machine.
func LoadCodec(getenv func(string) string, log *slog.Logger) (*codec.Ring, error) {
	spec, primary := strings.TrimSpace(getenv(EnvCodecKeys)), strings.TrimSpace(getenv(EnvCodecKeyID))
	source := EnvCodecKeys
	if spec == "" {
		path := getenv(EnvCodecKeyFile)
		if path == "" {
			path = DefaultCodecKeyFile
		}
		var created bool
		var err error
		if spec, created, err = readOrCreateKeyFile(path); err != nil {
			return nil, fmt.Errorf("%s is not set and the key file failed: %w", EnvCodecKeys, err)
		}
		source = fmt.Sprintf("key file %s (%s)", path, EnvCodecKeyFile)
		log.Warn(EnvCodecKeys+" is not set: Temporal payloads are encrypted with the key in a local file; "+
			"set "+EnvCodecKeys+" and "+EnvCodecKeyID+" in production, and keep the key: without it no incident can be read",
			"key_file", path, "created", created)
	}
	keys, err := codec.ParseKeys(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if primary == "" {
		if len(keys) > 1 {
			return nil, fmt.Errorf("%s is not set: name the key that encrypts among %s", EnvCodecKeyID, keyIDs(keys))
		}
		primary = keys[0].ID
	}
	ring, err := codec.NewRing(keys, primary)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: %w", EnvCodecKeyID, primary, err)
	}
	return ring, nil
}

func keyIDs(keys []codec.Key) string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return strings.Join(ids, ", ")
}

// WithCodec makes options encrypt every payload and failure with the ring. With a
// ring, requests go without gRPC's gzip: their payloads are compressed before they
// are encrypted, and gzip over ciphertext spent CPU on both ends for nothing (the
// starter's largest cost after the start itself, in `make bench`).
func WithCodec(options client.Options, ring *codec.Ring) client.Options {
	options.DataConverter = ring.DataConverter()
	options.FailureConverter = codec.FailureConverter(options.DataConverter)
	if ring != nil {
		options.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	return options
}

// readOrCreateKeyFile answers the key file's ring, writing a fresh key first when the
// file does not exist. The key is written to a private temporary file and hard-linked
// into place, which fails when the file exists: a worker and a starter started together
// end up with the same key, and neither reads a half-written file.
func readOrCreateKeyFile(path string) (spec string, created bool, err error) {
	if data, err := os.ReadFile(path); err == nil {
		return string(data), false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", false, err
	}
	// A random id: a key generated again after the file was lost must not share the
	// old one's id, so that its payloads fail as "unknown key", not as tampered.
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix) // never fails (crypto/rand)
	key, err := codec.NewKey(fmt.Sprintf("local-%x", suffix))
	if err != nil {
		return "", false, err
	}
	spec = codec.FormatKeys([]codec.Key{key}) + "\n"
	tmp, err := os.CreateTemp(filepath.Dir(path), ".codec-key-*") // 0600, O_EXCL
	if err != nil {
		return "", false, err
	}
	// Renamed over the key file below, or left over by a failure: either way gone.
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.WriteString(spec); err != nil {
		_ = tmp.Close() // the write failed: that is the error to report
		return "", false, err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close() // the sync failed: that is the error to report
		return "", false, err
	}
	if err := tmp.Close(); err != nil {
		return "", false, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			data, err := os.ReadFile(path)
			return string(data), false, err
		}
		return "", false, err
	}
	return spec, true, nil
}
