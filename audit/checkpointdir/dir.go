// Package checkpointdir publishes the ledger's signed checkpoints to a
// directory, for auditors, witnesses and static web servers to pick up:
//
//	DIR/checkpoints.log          every checkpoint, one JSON line each, appended only
//	DIR/size/<20-digit size>     one file per checkpoint, created once, never replaced
//	DIR/checkpoint               the latest, replaced atomically
//
// Put DIR where the ledger's operator cannot rewrite it (another machine,
// write-once storage, a directory a backup or a monitor copies away): what
// the directory proves is what left the operator's hands.
package checkpointdir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/disputes-ledger/disputes/audit/checkpoint"
)

// File names inside the directory.
const (
	LogFile    = "checkpoints.log"
	LatestFile = "checkpoint"
	SizeDir    = "size"
)

// ErrConflict is returned (wrapped) by PublishCheckpoint when the directory
// already holds a different checkpoint of the same size: two ledgers, or a
// rewritten one, claim the same size.
var ErrConflict = errors.New("a different checkpoint of this size is already published")

// Entry is one line of the log file.
type Entry struct {
	Origin string `json:"origin"`
	Size   uint64 `json:"size"`
	// Root is the root hash in lowercase hex, for people and grep.
	Root string `json:"root"`
	// Checkpoint is the signed note, as checkpoint.Open reads it.
	Checkpoint string `json:"checkpoint"`
}

// Dir is a checkpoint directory. It is safe for concurrent use within one
// process; two processes publishing to one directory only ever add files.
type Dir struct {
	path string
	mu   sync.Mutex
}

// Open returns the directory at path, creating it (and its size
// subdirectory) if needed.
func Open(path string) (*Dir, error) {
	if err := os.MkdirAll(filepath.Join(path, SizeDir), 0o755); err != nil {
		return nil, fmt.Errorf("open checkpoint directory: %w", err)
	}
	return &Dir{path: path}, nil
}

// Path returns the directory's path.
func (d *Dir) Path() string { return d.path }

// SizeFile returns the path of the checkpoint file of size.
func (d *Dir) SizeFile(size uint64) string {
	return filepath.Join(d.path, SizeDir, fmt.Sprintf("%020d", size))
}

// PublishCheckpoint appends the checkpoint to the log, creates its size
// file and makes it the latest. A checkpoint whose size file already holds
// the same text is not appended again; one that holds another text fails
// with ErrConflict and changes nothing.
func (d *Dir) PublishCheckpoint(_ context.Context, cp checkpoint.Checkpoint, text []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	sizeFile := d.SizeFile(cp.Size)
	old, err := os.ReadFile(sizeFile)
	switch {
	case err == nil && bytes.Equal(old, text):
		return nil
	case err == nil:
		return fmt.Errorf("publish checkpoint of size %d to %s: %w", cp.Size, d.path, ErrConflict)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("publish checkpoint of size %d: %w", cp.Size, err)
	}
	// The log line goes first: after a crash the worst case is the same
	// line twice, never a size file the log lacks.
	line, err := json.Marshal(Entry{Origin: cp.Origin, Size: cp.Size, Root: cp.Root.String(), Checkpoint: string(text)})
	if err != nil {
		return fmt.Errorf("publish checkpoint of size %d: %w", cp.Size, err)
	}
	if err := appendLine(filepath.Join(d.path, LogFile), append(line, '\n')); err != nil {
		return fmt.Errorf("publish checkpoint of size %d: %w", cp.Size, err)
	}
	if err := writeNew(sizeFile, text); err != nil {
		return fmt.Errorf("publish checkpoint of size %d: %w", cp.Size, err)
	}
	if err := d.replaceLatest(cp.Size, text); err != nil {
		return fmt.Errorf("publish checkpoint of size %d: %w", cp.Size, err)
	}
	return nil
}

// replaceLatest points the latest file at text unless it already holds a
// larger checkpoint.
func (d *Dir) replaceLatest(size uint64, text []byte) error {
	latest := filepath.Join(d.path, LatestFile)
	if cur, err := os.ReadFile(latest); err == nil {
		if c, err := checkpoint.Parse(cur); err == nil && c.Size > size {
			return nil
		}
	}
	tmp, err := writeTemp(d.path, text)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, latest); err != nil {
		return errors.Join(err, os.Remove(tmp))
	}
	return syncDir(d.path)
}

// appendLine writes line at the end of path in one write and syncs it.
func appendLine(path string, line []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(line); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := f.Sync(); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}

// writeNew creates path with data atomically, never replacing a file: the
// data is written and synced under a temporary name, then hard-linked to
// path, which fails if path exists.
func writeNew(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// writeTemp writes data to a new synced temporary file in dir.
func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".tmp-checkpoint-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(name, 0o644)
	}
	if err != nil {
		return "", errors.Join(err, os.Remove(name))
	}
	return name, nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}
