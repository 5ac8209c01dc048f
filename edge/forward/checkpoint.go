package forward

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Checkpoint stores the global position of the last event whose publish was
// acknowledged.
type Checkpoint interface {
	// Load returns the stored position, 0 if none was ever saved.
	Load(ctx context.Context) (uint64, error)
	// Save durably replaces the stored position.
	Save(ctx context.Context, position uint64) error
}

// FileCheckpoint keeps the position as decimal text in a small file, replaced
// atomically (write a temporary file, fsync, rename, fsync the directory), so
// a crash leaves either the old or the new position, never a torn one.
type FileCheckpoint struct {
	Path string
}

// Load implements Checkpoint.
func (c FileCheckpoint) Load(ctx context.Context) (uint64, error) {
	data, err := os.ReadFile(c.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("load checkpoint: %w", err)
	}
	pos, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("load checkpoint %s: %w", c.Path, err)
	}
	return pos, nil
}

// Save implements Checkpoint.
func (c FileCheckpoint) Save(ctx context.Context, position uint64) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	dir := filepath.Dir(c.Path)
	tmp, err := os.CreateTemp(dir, filepath.Base(c.Path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name()) // best effort: the error that matters is err
		}
	}()
	if _, err := tmp.WriteString(strconv.FormatUint(position, 10) + "\n"); err != nil {
		return errors.Join(fmt.Errorf("save checkpoint: %w", err), tmp.Close())
	}
	if err := tmp.Sync(); err != nil {
		return errors.Join(fmt.Errorf("save checkpoint: %w", err), tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.Path); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	// The rename is durable only once the directory entry is.
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	if err := d.Sync(); err != nil {
		return errors.Join(fmt.Errorf("save checkpoint: sync %s: %w", dir, err), d.Close())
	}
	return d.Close()
}
