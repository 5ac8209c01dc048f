package bundle

import (
	"bytes"
	"errors"
	"io"
)

// arenaSize is the size of the blocks a bundle is read into: large enough
// that allocating them costs little per line, small enough that a block a
// ticket still open keeps alive (its replay's strings are windows on its
// events' bytes) holds little else. Tests make it small.
var arenaSize = 1 << 20

// lineReader reads a bundle straight into large blocks and hands out its
// lines as windows on them, without copying them again. A block is only
// ever written past the lines already handed out, and never once the next
// one is started: the lines are decoded in place (audit.PrepareOwned), so
// each block stays alive, unchanged, exactly as long as something refers
// into it.
type lineReader struct {
	r     io.Reader
	block []byte // the bytes read into the current block
	start int    // where in block the next line starts
	err   error  // the read's error (io.EOF at the end), after the bytes before it
}

// next returns the next line without its line end ("\n", "\r\n"), whatever
// its length. At the end it returns false, and err then is nil at the end
// of the input or the read error.
func (lr *lineReader) next() (line []byte, ok bool, err error) {
	for {
		rest := lr.block[lr.start:]
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			lr.start += i + 1
			return window(rest[:i]), true, nil
		}
		if lr.err != nil {
			if len(rest) > 0 { // the last line, without its end
				lr.start = len(lr.block)
				return window(rest), true, nil
			}
			if errors.Is(lr.err, io.EOF) {
				return nil, false, nil
			}
			return nil, false, lr.err
		}
		lr.fill()
	}
}

// window returns line without the one carriage return of a "\r\n" end
// (as bufio.ScanLines drops it; any other CR stays, for the decoder to
// refuse), with no room to append into: appending to a line never writes
// into the next.
func window(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line[:len(line):len(line)]
}

// fill reads more of the input into the current block, or into a new one
// when it is full, starting with the part of a line it holds.
func (lr *lineReader) fill() {
	if len(lr.block) == cap(lr.block) {
		part := lr.block[lr.start:]
		// A line longer than a block gets a block twice its length so far.
		block := make([]byte, len(part), max(arenaSize, 2*len(part)))
		copy(block, part)
		lr.block, lr.start = block, 0
	}
	n, err := lr.r.Read(lr.block[len(lr.block):cap(lr.block)])
	lr.block = lr.block[:len(lr.block)+n]
	if err != nil {
		lr.err = err
	}
}
