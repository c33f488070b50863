package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"
)

// The C2SP tlog-tiles layout (https://c2sp.org/tlog-tiles) of an export:
//
//	checkpoint                    the signed checkpoint
//	tile/<L>/<N>[.p/<W>]          hash tile N of level L
//	tile/entries/<N>[.p/<W>]      entry bundle N
//
// A tile holds 256 hashes (a partial tile W of them, 1 ≤ W < 256); an entry
// bundle holds 256 entries (a partial one W), each a big-endian uint16
// length and the entry's bytes. N is written in groups of three digits, all
// but the last prefixed with "x": 1234067 is x001/x234/067. These are the
// paths of golang.org/x/mod/sumdb/tlog's Tile.Path with its height segment
// "8/" dropped and "data" spelled "entries".

// tileWidth is the number of hashes of a full tile and of entries of a full
// entry bundle: C2SP tlog-tiles fixes the tile height at 8.
const tileWidth = 256

// MaxExportEntry is the largest entry of an entry bundle, whose length is a
// big-endian uint16. Each record of a log is one entry of its export (see
// [Export]): a record longer than MaxExportEntry bytes, length to payload,
// cannot be exported.
const MaxExportEntry = 1<<16 - 1

// entriesLevel is the level tilePath takes for an entry bundle.
const entriesLevel = -1

// tilePath returns the C2SP tlog-tiles path of tile n at level (or of entry
// bundle n, for level entriesLevel), w wide: tileWidth for a full tile.
func tilePath(level int, n int64, w int) string {
	b := []byte("tile/")
	if level == entriesLevel {
		b = append(b, "entries"...)
	} else {
		b = strconv.AppendInt(b, int64(level), 10)
	}
	b = appendTileIndex(append(b, '/'), n)
	if w < tileWidth {
		b = append(b, ".p/"...)
		b = strconv.AppendInt(b, int64(w), 10)
	}
	return string(b)
}

// appendTileIndex appends n in groups of three digits, each but the last
// prefixed with "x" and followed by "/".
func appendTileIndex(b []byte, n int64) []byte {
	var groups [8]int64 // 1000^7 > 2^63
	k := 0
	for {
		groups[k] = n % 1000
		k++
		if n /= 1000; n == 0 {
			break
		}
	}
	for i := k - 1; i > 0; i-- {
		b = append(appendThree(append(b, 'x'), groups[i]), '/')
	}
	return appendThree(b, groups[0])
}

// appendThree appends d as three digits.
func appendThree(b []byte, d int64) []byte {
	return append(b, byte('0'+d/100), byte('0'+d/10%10), byte('0'+d%10))
}

// tileFile is one file of an export: its path and bytes.
type tileFile struct {
	path string
	data []byte
	// size is the tree size the file was made at: for a full tile or
	// bundle, the number of entries up to its last, and it belongs to the
	// export of every tree at least that size; a partial one belongs to
	// the export of that size only.
	size int64
	full bool
}

// tileBuilder makes the tiles and entry bundles of a log from its entries,
// in order, keeping only the open (not yet full) tile of each level and the
// open bundle.
type tileBuilder struct {
	n      int64         // entries added
	levels [][]tlog.Hash // levels[l]: the hashes of the open tile of level l
	full   []int64       // full[l]: full tiles of level l made so far
	bundle []byte        // the open entry bundle
	bfull  int64         // full entry bundles made so far
	bn     int           // entries in the open bundle
	// scratch for the root of a full tile.
	scratch [tileWidth]tlog.Hash
}

// add adds an entry whose RFC 6962 leaf hash is leaf and calls emit with
// each tile and entry bundle the entry fills.
func (b *tileBuilder) add(entry []byte, leaf tlog.Hash, emit func(tileFile) error) error {
	b.bundle = binary.BigEndian.AppendUint16(b.bundle, uint16(len(entry)))
	b.bundle = append(b.bundle, entry...)
	b.bn++
	b.n++
	if b.bn == tileWidth {
		f := tileFile{path: tilePath(entriesLevel, b.bfull, tileWidth), data: b.bundle, size: b.n, full: true}
		b.bundle, b.bn = make([]byte, 0, len(f.data)), 0
		b.bfull++
		if err := emit(f); err != nil {
			return err
		}
	}
	h := leaf
	for l := 0; ; l++ {
		if l == len(b.levels) {
			b.levels = append(b.levels, make([]tlog.Hash, 0, tileWidth))
			b.full = append(b.full, 0)
		}
		b.levels[l] = append(b.levels[l], h)
		if len(b.levels[l]) < tileWidth {
			return nil
		}
		f := tileFile{path: tilePath(l, b.full[l], tileWidth), data: hashBytes(b.levels[l]), size: b.n, full: true}
		h = b.root(b.levels[l])
		b.levels[l] = b.levels[l][:0]
		b.full[l]++
		if err := emit(f); err != nil {
			return err
		}
	}
}

// partials calls emit with the partial tiles and entry bundle of the tree
// of the entries added so far: the open tile of each level and the open
// bundle that are not empty.
func (b *tileBuilder) partials(emit func(tileFile) error) error {
	if b.bn > 0 {
		if err := emit(tileFile{path: tilePath(entriesLevel, b.bfull, b.bn), data: append([]byte(nil), b.bundle...), size: b.n}); err != nil {
			return err
		}
	}
	for l, hs := range b.levels {
		if len(hs) == 0 {
			continue
		}
		if err := emit(tileFile{path: tilePath(l, b.full[l], len(hs)), data: hashBytes(hs), size: b.n}); err != nil {
			return err
		}
	}
	return nil
}

// treeHash returns the RFC 6962 root of the entries added so far, which
// tlog.TreeHash computes too: the open tiles hold the roots of the
// complete subtrees, the higher levels' to the left.
func (b *tileBuilder) treeHash() tlog.Hash {
	var roots []tlog.Hash
	for l := len(b.levels) - 1; l >= 0; l-- {
		for hs := b.levels[l]; len(hs) > 0; {
			k := 1 << (bits.Len(uint(len(hs))) - 1)
			roots = append(roots, b.root(hs[:k]))
			hs = hs[k:]
		}
	}
	if len(roots) == 0 {
		return sha256.Sum256(nil) // RFC 6962's hash of the empty tree
	}
	h := roots[len(roots)-1]
	for i := len(roots) - 2; i >= 0; i-- {
		h = tlog.NodeHash(roots[i], h)
	}
	return h
}

// root returns the RFC 6962 root of a power-of-two number of hashes, at
// most a full tile's.
func (b *tileBuilder) root(hs []tlog.Hash) tlog.Hash {
	s := b.scratch[:copy(b.scratch[:], hs)]
	for len(s) > 1 {
		for i := range len(s) / 2 {
			s[i] = tlog.NodeHash(s[2*i], s[2*i+1])
		}
		s = s[:len(s)/2]
	}
	return s[0]
}

// hashBytes returns the hashes one after another: a tile's bytes.
func hashBytes(hs []tlog.Hash) []byte {
	b := make([]byte, 0, len(hs)*HashSize)
	for _, h := range hs {
		b = append(b, h[:]...)
	}
	return b
}
