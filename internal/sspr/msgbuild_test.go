package sspr

import (
	"encoding/binary"
	"slices"
	"strings"
	"unicode/utf16"
)

// buildMSG writes a minimal Outlook .msg file ([MS-CFB] version 3, 512-byte sectors) whose root
// storage holds the given streams, as Outlook stores MAPI properties: streams under 4096 bytes
// in the mini stream, larger ones in regular sectors, a property stream with the code page. It
// is a test helper: the product only reads .msg files, with github.com/richardlehane/mscfb.
func buildMSG(streams map[string][]byte) []byte {
	const (
		sector    = 512
		mini      = 64
		cutoff    = 4096
		endChain  = 0xFFFFFFFE
		freeSect  = 0xFFFFFFFF
		fatSect   = 0xFFFFFFFD
		noStream  = 0xFFFFFFFF
		dirPerSec = sector / 128
	)
	names := make([]string, 0, len(streams))
	for n := range streams {
		names = append(names, n)
	}
	// Directory order: shorter names first, then by upper case ([MS-CFB] 2.6.4).
	slices.SortFunc(names, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(strings.ToUpper(a), strings.ToUpper(b))
	})

	var sectors [][]byte // regular sectors after the header
	var fat []uint32
	chain := func(data []byte) uint32 {
		if len(data) == 0 {
			return endChain
		}
		start := uint32(len(sectors))
		for off := 0; off < len(data); off += sector {
			s := make([]byte, sector)
			copy(s, data[off:])
			sectors = append(sectors, s)
			fat = append(fat, uint32(len(sectors))) // the next sector
		}
		fat[len(fat)-1] = endChain
		return start
	}
	// The mini stream and its FAT.
	var miniStream []byte
	var miniFAT []uint32
	type loc struct {
		start uint32
		size  int
	}
	locs := map[string]loc{}
	for _, n := range names {
		d := streams[n]
		if len(d) >= cutoff {
			continue
		}
		if len(d) == 0 {
			locs[n] = loc{endChain, 0}
			continue
		}
		start := uint32(len(miniStream) / mini)
		for off := 0; off < len(d); off += mini {
			s := make([]byte, mini)
			copy(s, d[off:])
			miniStream = append(miniStream, s...)
			miniFAT = append(miniFAT, uint32(len(miniStream)/mini))
		}
		miniFAT[len(miniFAT)-1] = endChain
		locs[n] = loc{start, len(d)}
	}
	for _, n := range names {
		if d := streams[n]; len(d) >= cutoff {
			locs[n] = loc{chain(d), len(d)}
		}
	}
	miniStart := chain(miniStream)
	miniFATBytes := make([]byte, 0, len(miniFAT)*4)
	for _, v := range miniFAT {
		miniFATBytes = binary.LittleEndian.AppendUint32(miniFATBytes, v)
	}
	miniFATStart := chain(miniFATBytes)

	// Directory: the root entry, then every stream as the root's children, chained through right
	// siblings in directory order (a valid, if unbalanced, all-black tree).
	entry := func(name string, typ byte, child, right, start uint32, size int) []byte {
		e := make([]byte, 128)
		u := utf16.Encode([]rune(name))
		for i, c := range u {
			binary.LittleEndian.PutUint16(e[2*i:], c)
		}
		binary.LittleEndian.PutUint16(e[64:], uint16(2*len(u)+2))
		e[66], e[67] = typ, 1
		binary.LittleEndian.PutUint32(e[68:], noStream)
		binary.LittleEndian.PutUint32(e[72:], right)
		binary.LittleEndian.PutUint32(e[76:], child)
		binary.LittleEndian.PutUint32(e[116:], start)
		binary.LittleEndian.PutUint32(e[120:], uint32(size))
		return e
	}
	var dir []byte
	rootChild := uint32(noStream)
	if len(names) > 0 {
		rootChild = 1
	}
	dir = append(dir, entry("Root Entry", 5, rootChild, noStream, miniStart, len(miniStream))...)
	for i, n := range names {
		right := uint32(noStream)
		if i+1 < len(names) {
			right = uint32(i + 2)
		}
		dir = append(dir, entry(n, 2, noStream, right, locs[n].start, locs[n].size)...)
	}
	for len(dir)%(dirPerSec*128) != 0 {
		dir = append(dir, entry("", 0, noStream, noStream, 0, 0)...)
	}
	dirStart := chain(dir)

	// FAT sectors, which cover themselves.
	nFAT := 1
	for (len(sectors)+nFAT)*4 > nFAT*sector {
		nFAT++
	}
	fatStart := uint32(len(sectors))
	for range nFAT {
		fat = append(fat, fatSect)
	}
	for len(fat)%(sector/4) != 0 {
		fat = append(fat, freeSect)
	}
	fatBytes := make([]byte, 0, len(fat)*4)
	for _, v := range fat {
		fatBytes = binary.LittleEndian.AppendUint32(fatBytes, v)
	}
	for off := 0; off < len(fatBytes); off += sector {
		sectors = append(sectors, fatBytes[off:off+sector])
	}

	h := make([]byte, sector)
	copy(h, cfbSignature)
	binary.LittleEndian.PutUint16(h[24:], 0x3E) // minor version
	binary.LittleEndian.PutUint16(h[26:], 3)    // major version
	binary.LittleEndian.PutUint16(h[28:], 0xFFFE)
	binary.LittleEndian.PutUint16(h[30:], 9) // 512-byte sectors
	binary.LittleEndian.PutUint16(h[32:], 6) // 64-byte mini sectors
	binary.LittleEndian.PutUint32(h[44:], uint32(nFAT))
	binary.LittleEndian.PutUint32(h[48:], dirStart)
	binary.LittleEndian.PutUint32(h[56:], cutoff)
	binary.LittleEndian.PutUint32(h[60:], miniFATStart)
	binary.LittleEndian.PutUint32(h[64:], uint32((len(miniFATBytes)+sector-1)/sector))
	binary.LittleEndian.PutUint32(h[68:], endChain) // no DIFAT sectors
	for i := range 109 {
		v := uint32(freeSect)
		if i < nFAT {
			v = fatStart + uint32(i)
		}
		binary.LittleEndian.PutUint32(h[76+4*i:], v)
	}
	out := h
	for _, s := range sectors {
		out = append(out, s...)
	}
	return out
}

// utf16z encodes s as a UTF-16LE MAPI string property.
func utf16z(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u)+2)
	for _, c := range u {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return append(b, 0, 0)
}

// msgProps is a top-level property stream declaring PR_INTERNET_CPID = cp.
func msgProps(cp uint32) []byte {
	b := make([]byte, 32)
	b = binary.LittleEndian.AppendUint32(b, uint32(propInternetCPID)<<16|0x0003)
	b = binary.LittleEndian.AppendUint32(b, 6) // readable, writable
	b = binary.LittleEndian.AppendUint32(b, cp)
	return binary.LittleEndian.AppendUint32(b, 0)
}

// msgOf makes an Outlook .msg of a raw message: its header block as PR_TRANSPORT_MESSAGE_HEADERS
// (UTF-16), its plain text as PR_BODY (UTF-16).
func msgOf(headers, body string) []byte {
	return buildMSG(map[string][]byte{
		"__substg1.0_007D001F":    utf16z(headers),
		"__substg1.0_1000001F":    utf16z(body),
		"__substg1.0_0037001F":    utf16z("Request to reset user's password"),
		"__properties_version1.0": msgProps(65001),
	})
}
