package sspr

import (
	"bytes"
	"context"
	"testing"
)

// Figures for the size bound: a 50 MB paste and ~10 MB of junk are refused (or read) in well
// under a second; `go test -run '^$' -bench . ./internal/sspr/` prints them (ns/op, B/op).

func BenchmarkVerifyGenuine(b *testing.B) {
	e := newEnv(b)
	f := contacted(b, e.sim)[0]
	msg := []byte(render(b, e.sim, f.CorrelationID, "genuine"))
	v := e.verifier(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), msg, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRead(b *testing.B, data []byte, wantErr bool) {
	b.Helper()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		_, err := Read(data, "", DefaultMaxBytes)
		if (err != nil) != wantErr {
			b.Fatalf("err %v", err)
		}
	}
}

// A 50 MB paste: refused as too large before anything is parsed.
func BenchmarkRead50MBPaste(b *testing.B) {
	benchRead(b, bytes.Repeat([]byte("Received: from x by y; Mon, 2 Mar 2026 09:00:00 +0000\r\n"), 50<<20/56), true)
}

// Just under the limit of binary junk: refused as not an email from its first 64 KiB.
func BenchmarkReadBinaryJunk(b *testing.B) { benchRead(b, junk(DefaultMaxBytes-1), true) }

// Just under the limit of text that is no email (the worst case: every line looked at).
func BenchmarkReadTextJunk(b *testing.B) {
	benchRead(b, bytes.Repeat([]byte("lorem ipsum dolor sit amet consectetur\n"), (DefaultMaxBytes-1)/39), true)
}

// Just under the limit of one header repeated: every field parsed, the first 2000 kept.
func BenchmarkReadHugeHeader(b *testing.B) {
	benchRead(b, bytes.Repeat([]byte("Received: from a.example (192.0.2.1) by b.example; Mon, 2 Mar 2026 09:00:00 +0000\r\n"), (DefaultMaxBytes-1)/84), false)
}

// Just under the limit of a body-only paste full of addresses: read, cut to 2 MB of text.
func BenchmarkVerifyAddressJunk(b *testing.B) {
	e := newEnv(b)
	v := e.verifier(b)
	data := bytes.Repeat([]byte("someone@contoso.edu https://evil.example/x "), (DefaultMaxBytes-1)/43)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := v.Verify(context.Background(), data, ""); err != nil {
			b.Fatal(err)
		}
	}
}
