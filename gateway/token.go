package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ControlTokenFile is the file in the spool directory that holds the
// secret every control call must present (Authorization: Bearer). A new
// one is written at each start, readable by the gateway's user only: the
// CLI run as that user or as root reads it, while a client that merely
// reaches the admin listener (through a port forwarder or a reverse
// proxy on the host, which make it look local) does not have it.
const ControlTokenFile = "control.token"

// ControlTokenPath is where the token of a gateway using spoolDir is.
func ControlTokenPath(spoolDir string) string { return filepath.Join(spoolDir, ControlTokenFile) }

// writeControlToken makes a new random token and writes it, mode 0600,
// replacing the last start's atomically.
func writeControlToken(spoolDir string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("control token: %w", err)
	}
	tok := hex.EncodeToString(b)
	if err := replaceFile(ControlTokenPath(spoolDir), []byte(tok+"\n")); err != nil {
		return "", fmt.Errorf("control token: %w", err)
	}
	return tok, nil
}

// replaceFile writes data to path, mode 0600, in place of what was
// there: to a new file beside it, synced, then renamed over it, so that
// a crash leaves the old file or the new one whole, never part of one.
// The caller syncs the directory where the rename must survive a crash.
func replaceFile(path string, data []byte) error {
	tmp := path + ".new"
	os.Remove(tmp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// ReadControlToken reads the token of the gateway using spoolDir; ""
// without error when there is none (no gateway has started there).
func ReadControlToken(spoolDir string) (string, error) {
	b, err := os.ReadFile(ControlTokenPath(spoolDir))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("control token: %w (run as root or as the gateway's user)", err)
	}
	return strings.TrimSpace(string(b)), nil
}
