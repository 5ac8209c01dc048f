package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// lineReader reads exec's input one line at a time, keeping at most limit
// bytes of a line: a longer line is skipped to its end and reported by its
// length, so that one oversized command fails alone and the lines after it
// still run (a bufio.Scanner stops the whole input there).
type lineReader struct {
	r     *bufio.Reader
	limit int
	buf   []byte
}

func newLineReader(r io.Reader, limit int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), limit: limit}
}

// next returns the next line without its line ending and its full length
// in bytes. When size exceeds the limit, line is nil: the rest was read
// and dropped. At the end of the input it returns io.EOF.
func (lr *lineReader) next() (line []byte, size int, err error) {
	lr.buf = lr.buf[:0]
	over := false
	var tail [2]byte // the line's last two bytes, to measure it without its ending
	for {
		chunk, err := lr.r.ReadSlice('\n')
		size += len(chunk)
		for _, b := range chunk[max(0, len(chunk)-2):] {
			tail[0], tail[1] = tail[1], b
		}
		if !over && len(lr.buf)+len(chunk) <= lr.limit+2 { // room for "\r\n"
			lr.buf = append(lr.buf, chunk...)
		} else if !over {
			over, lr.buf = true, lr.buf[:0]
		}
		switch {
		case err == nil:
			return lr.finish(size, over, tail)
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if size == 0 {
				return nil, 0, io.EOF
			}
			return lr.finish(size, over, tail)
		default:
			return nil, size, fmt.Errorf("read input: %w", err)
		}
	}
}

// finish drops the line ending from the kept line and from its size.
func (lr *lineReader) finish(size int, over bool, tail [2]byte) ([]byte, int, error) {
	ending := 0
	if tail[1] == '\n' {
		ending = 1
		if size > 1 && tail[0] == '\r' {
			ending = 2
		}
	}
	size -= ending
	if over || size > lr.limit {
		return nil, size, nil
	}
	return lr.buf[:size], size, nil
}
