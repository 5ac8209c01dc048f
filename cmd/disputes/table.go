package main

import (
	"bytes"
	"io"
	"strings"

	"github.com/mattn/go-runewidth"
)

// tableWriter lays out tab-separated cells in columns like text/tabwriter,
// but measures each cell by its display width on a terminal, so a Chinese
// message or merchant name (two columns per character) does not push the
// columns after it out of line. Text is buffered until Flush.
//
// Its column rules are text/tabwriter's: a cell ends with a tab; the text
// after a line's last tab is not part of any column; a column is a run of
// consecutive lines that all have a cell in it, as wide as its widest cell
// plus the padding.
type tableWriter struct {
	out        io.Writer
	padding    int
	alignRight bool
	buf        bytes.Buffer
}

// newTable returns a tableWriter with two spaces between columns, cells
// aligned left, or right when alignRight is set (for figures).
func newTable(w io.Writer, alignRight bool) *tableWriter {
	return &tableWriter{out: w, padding: 2, alignRight: alignRight}
}

// Write buffers p; nothing reaches the underlying writer before Flush.
func (t *tableWriter) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush lays out everything written so far and writes it out.
func (t *tableWriter) Flush() error {
	rows := strings.Split(t.buf.String(), "\n")
	t.buf.Reset()
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = strings.Split(r, "\t")
	}
	var out strings.Builder
	t.format(&out, cells, nil, 0, len(cells))
	_, err := io.WriteString(t.out, out.String())
	return err
}

// format writes lines [from, to) given the widths of the columns to the
// left, finding each block of lines that has a cell in the next column.
func (t *tableWriter) format(out *strings.Builder, lines [][]string, widths []int, from, to int) {
	column := len(widths)
	for this := from; this < to; this++ {
		if column >= len(lines[this])-1 {
			continue
		}
		t.writeLines(out, lines, widths, from, this)
		from = this
		width := 0
		for ; this < to && column < len(lines[this])-1; this++ {
			width = max(width, runewidth.StringWidth(lines[this][column])+t.padding)
		}
		t.format(out, lines, append(widths, width), from, this)
		from = this // the line that ended the block has no cell here: skipping it is right
	}
	t.writeLines(out, lines, widths, from, to)
}

// writeLines writes lines [from, to) with their cells padded to widths.
func (t *tableWriter) writeLines(out *strings.Builder, lines [][]string, widths []int, from, to int) {
	for i := from; i < to; i++ {
		for j, cell := range lines[i] {
			pad := ""
			if j < len(widths) {
				pad = strings.Repeat(" ", widths[j]-runewidth.StringWidth(cell))
			}
			if t.alignRight && cell != "" {
				out.WriteString(pad)
				out.WriteString(cell)
			} else {
				out.WriteString(cell)
				out.WriteString(pad)
			}
		}
		if i+1 < len(lines) {
			out.WriteByte('\n')
		}
	}
}
