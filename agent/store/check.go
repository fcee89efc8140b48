package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// The store is checked before bbolt maps it into memory. bbolt reads its
// file through mmap: a page beyond the end of a truncated file, or a page
// offset that a flipped bit sends out of the mapping, kills the process with
// SIGBUS or SIGSEGV, which no recover catches. So the check reads the file
// with ordinary reads and walks bbolt's page structure itself (the layout of
// go.etcd.io/bbolt/internal/common: page headers, branch and leaf elements,
// bucket headers, inline buckets, meta pages with FNV-64a checksums), bounds
// checking every offset. Only a file that passes is handed to bbolt, whose
// own consistency check (freelist, double references) then runs safely.

// bbolt's on-disk constants (internal/common). Files are native-endian; every
// platform labelagent ships for is little-endian.
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	pageHeaderSize   = 16
	elementSize      = 16 // branch and leaf elements are both 16 bytes
	bucketHeaderSize = 16 // root pgid + sequence
	branchPageFlag   = 0x01
	leafPageFlag     = 0x02
	metaPageFlag     = 0x04
	freelistPageFlag = 0x10
	bucketLeafFlag   = 0x01
	noFreelist       = ^uint64(0)
	maxCheckDepth    = 64
	metaChecksumOff  = 56 // bytes of the meta struct covered by its checksum
)

var le = binary.LittleEndian

// DamagedError says that the store file is damaged and how. The agent
// refuses to start on it rather than crash or lose more.
type DamagedError struct {
	Path     string
	Problems []string // what is wrong, first problems first
	Backup   string   // newest backup copy, "" when there is none
}

func (e *DamagedError) Error() string {
	msg := fmt.Sprintf("job store %s is damaged: %s", e.Path, e.Problems[0])
	if len(e.Problems) > 1 {
		msg += fmt.Sprintf(" (and %d more problems)", len(e.Problems)-1)
	}
	return msg
}

// meta is the part of bbolt's meta page the check needs.
type meta struct {
	pageSize     uint32
	root         uint64
	freelist     uint64
	hwm          uint64 // high-water mark: pages in use are below it
	txid         uint64
	problem      string
	decodedValid bool
}

func readMeta(b []byte) meta {
	if len(b) < metaChecksumOff+8 {
		return meta{problem: "too short for a meta page"}
	}
	m := meta{
		pageSize: le.Uint32(b[8:]),
		root:     le.Uint64(b[16:]),
		freelist: le.Uint64(b[32:]),
		hwm:      le.Uint64(b[40:]),
		txid:     le.Uint64(b[48:]),
	}
	h := fnv.New64a()
	h.Write(b[:metaChecksumOff])
	switch {
	case le.Uint32(b[0:]) != boltMagic:
		m.problem = "not a bbolt database (wrong magic number)"
	case le.Uint32(b[4:]) != boltVersion:
		m.problem = fmt.Sprintf("unknown bbolt file version %d", le.Uint32(b[4:]))
	case le.Uint64(b[metaChecksumOff:]) != h.Sum64():
		m.problem = "meta page checksum mismatch"
	case m.pageSize < 512 || m.pageSize > 1<<16 || m.pageSize&(m.pageSize-1) != 0:
		m.problem = fmt.Sprintf("impossible page size %d", m.pageSize)
	default:
		m.decodedValid = true
	}
	return m
}

// Check verifies the store file at path without opening it in bbolt and
// returns the problems it found (none: the file is sound). A file that does
// not exist or is empty is sound: it will be created.
func Check(path string) ([]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() == 0 {
		return nil, nil
	}
	c := &checker{f: f, size: fi.Size()}
	return c.run(), nil
}

type checker struct {
	f        *os.File
	size     int64
	pageSize int64
	hwm      uint64
	seen     map[uint64]bool
	problems []string
}

func (c *checker) fail(format string, args ...any) {
	if len(c.problems) < 20 {
		c.problems = append(c.problems, fmt.Sprintf(format, args...))
	}
}

func (c *checker) run() (problems []string) {
	// The walk bounds-checks what it reads; a slice index it got wrong would
	// still be a Go panic (never a signal), reported as damage here.
	defer func() {
		if r := recover(); r != nil {
			problems = append(c.problems, fmt.Sprintf("unreadable structure (%v)", r))
		}
	}()
	// Meta page 0 sits at offset 0; meta page 1 one page later. The page
	// size is read from meta 0, or guessed like bbolt does when it is bad.
	head := make([]byte, 4096)
	n, _ := c.f.ReadAt(head, 0)
	if n < pageHeaderSize+metaChecksumOff+8 {
		c.fail("the file is only %d bytes long, too short for a database header", c.size)
		return c.problems
	}
	m0 := readMeta(head[pageHeaderSize:n])
	ps := int64(m0.pageSize)
	if !m0.decodedValid {
		ps = int64(os.Getpagesize())
	}
	buf := make([]byte, pageHeaderSize+metaChecksumOff+8)
	var m1 meta
	if _, err := c.f.ReadAt(buf, ps); err != nil {
		m1 = meta{problem: "missing (the file ends before it)"}
	} else {
		m1 = readMeta(buf[pageHeaderSize:])
	}
	var m meta
	switch {
	case m0.decodedValid && m1.decodedValid:
		m = m0
		if m1.txid > m0.txid {
			m = m1
		}
	case m0.decodedValid:
		m = m0
	case m1.decodedValid:
		m = m1
	default:
		c.fail("both database headers are unreadable: %s; %s", m0.problem, m1.problem)
		return c.problems
	}
	c.pageSize = int64(m.pageSize)
	c.hwm = m.hwm
	if want := int64(m.hwm) * c.pageSize; m.hwm < 4 || want/c.pageSize != int64(m.hwm) {
		c.fail("impossible database size in the header (%d pages)", m.hwm)
		return c.problems
	} else if c.size < want {
		c.fail("the file is truncated: %d bytes, but its contents need %d (pages up to %d)", c.size, want, m.hwm)
		return c.problems
	}
	c.seen = map[uint64]bool{0: true, 1: true}
	if m.freelist != noFreelist {
		if p, ok := c.page(m.freelist, "freelist"); ok && le.Uint16(p[8:]) != freelistPageFlag {
			c.fail("page %d should be the freelist but has type %#x", m.freelist, le.Uint16(p[8:]))
		}
	}
	c.tree(m.root, "the root bucket", 0)
	return c.problems
}

// page reads page id with its overflow pages, checking that it lies below
// the high-water mark, inside the file, and is referenced only once.
func (c *checker) page(id uint64, what string) ([]byte, bool) {
	if id < 2 || id >= c.hwm {
		c.fail("%s points to page %d, outside the database (pages 2..%d)", what, id, c.hwm-1)
		return nil, false
	}
	if c.seen[id] {
		c.fail("page %d is used twice (%s)", id, what)
		return nil, false
	}
	c.seen[id] = true
	head := make([]byte, pageHeaderSize)
	if _, err := c.f.ReadAt(head, int64(id)*c.pageSize); err != nil {
		c.fail("page %d (%s) cannot be read: %v", id, what, err)
		return nil, false
	}
	if got := le.Uint64(head); got != id {
		c.fail("page %d (%s) carries the id %d", id, what, got)
		return nil, false
	}
	overflow := uint64(le.Uint32(head[12:]))
	if id+overflow >= c.hwm {
		c.fail("page %d (%s) runs past the end of the database (%d overflow pages)", id, what, overflow)
		return nil, false
	}
	for o := uint64(1); o <= overflow; o++ {
		c.seen[id+o] = true
	}
	p := make([]byte, int64(overflow+1)*c.pageSize)
	if _, err := c.f.ReadAt(p, int64(id)*c.pageSize); err != nil && !errors.Is(err, io.EOF) {
		c.fail("page %d (%s) cannot be read: %v", id, what, err)
		return nil, false
	}
	return p, true
}

// tree walks a bucket's B+tree from its root page.
func (c *checker) tree(root uint64, what string, depth int) {
	p, ok := c.page(root, what)
	if !ok {
		return
	}
	c.node(p, root, what, depth)
}

// node checks one branch or leaf page (p holds it, header included).
func (c *checker) node(p []byte, id uint64, what string, depth int) {
	if depth > maxCheckDepth {
		c.fail("%s is nested impossibly deep at page %d", what, id)
		return
	}
	flags := le.Uint16(p[8:])
	count := int(le.Uint16(p[10:]))
	if pageHeaderSize+count*elementSize > len(p) {
		c.fail("page %d (%s) claims %d entries, more than fit", id, what, count)
		return
	}
	var prev []byte
	for i := range count {
		el := pageHeaderSize + i*elementSize
		var key, val []byte
		var child uint64
		var leafFlags uint32
		switch flags {
		case branchPageFlag:
			pos, ksize := int(le.Uint32(p[el:])), int(le.Uint32(p[el+4:]))
			child = le.Uint64(p[el+8:])
			key, ok := span(p, el+pos, ksize)
			if !ok {
				c.fail("page %d (%s): entry %d points outside the page", id, what, i)
				return
			}
			if prev != nil && bytes.Compare(prev, key) >= 0 {
				c.fail("page %d (%s): keys out of order at entry %d", id, what, i)
				return
			}
			prev = key
			c.tree(child, what, depth+1)
			continue
		case leafPageFlag:
			leafFlags = le.Uint32(p[el:])
			pos, ksize, vsize := int(le.Uint32(p[el+4:])), int(le.Uint32(p[el+8:])), int(le.Uint32(p[el+12:]))
			var ok1, ok2 bool
			key, ok1 = span(p, el+pos, ksize)
			val, ok2 = span(p, el+pos+ksize, vsize)
			if !ok1 || !ok2 {
				c.fail("page %d (%s): entry %d points outside the page", id, what, i)
				return
			}
		default:
			c.fail("page %d (%s) has the unknown type %#x", id, what, flags)
			return
		}
		if prev != nil && bytes.Compare(prev, key) >= 0 {
			c.fail("page %d (%s): keys out of order at entry %d", id, what, i)
			return
		}
		prev = key
		if leafFlags&bucketLeafFlag == 0 {
			continue
		}
		// A nested bucket: a header, then either a root page or an inline page.
		name := fmt.Sprintf("bucket %q", printable(key))
		if len(val) < bucketHeaderSize {
			c.fail("%s: its header is cut short", name)
			continue
		}
		if sub := le.Uint64(val); sub != 0 {
			c.tree(sub, name, depth+1)
			continue
		}
		inline := val[bucketHeaderSize:]
		if len(inline) < pageHeaderSize {
			c.fail("%s: its inline page is cut short", name)
			continue
		}
		if f := le.Uint16(inline[8:]); f != leafPageFlag {
			c.fail("%s: its inline page has the type %#x", name, f)
			continue
		}
		c.node(inline, id, name, depth+1)
	}
}

func span(p []byte, off, n int) ([]byte, bool) {
	if off < 0 || n < 0 || off > len(p) || n > len(p)-off {
		return nil, false
	}
	return p[off : off+n], true
}

func printable(b []byte) string {
	if len(b) > 40 {
		b = b[:40]
	}
	return string(bytes.ToValidUTF8(b, []byte("?")))
}
