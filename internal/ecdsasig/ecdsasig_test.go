package ecdsasig

import (
	"bytes"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
)

// stdDER is the DER of r‖s by encoding/asn1, an encoder independent of ours.
func stdDER(raw []byte) []byte {
	size := len(raw) / 2
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(raw[:size]), new(big.Int).SetBytes(raw[size:])})
	if err != nil {
		panic(err)
	}
	return der
}

// half builds a size-byte big-endian integer from a hex prefix, filling the
// rest with fill.
func half(size int, prefix string, fill byte) []byte {
	b := bytes.Repeat([]byte{fill}, size)
	p, err := hex.DecodeString(prefix)
	if err != nil {
		panic(err)
	}
	copy(b, p)
	return b
}

func TestAppendDER(t *testing.T) {
	for _, size := range []int{32, 48} {
		cases := []struct {
			name string
			r, s []byte
		}{
			{"plain", half(size, "11", 0x22), half(size, "33", 0x44)},
			{"r high bit", half(size, "80", 0x01), half(size, "7f", 0xff)},
			{"s high bit", half(size, "7f", 0x01), half(size, "ff", 0xff)},
			{"both high bits", half(size, "ff", 0xff), half(size, "80", 0x00)},
			{"r leading zero, next byte low", half(size, "007f", 0x05), half(size, "42", 0x42)},
			{"r leading zero, next byte high", half(size, "0080", 0x05), half(size, "42", 0x42)},
			{"s leading zero, next byte low", half(size, "42", 0x42), half(size, "0001", 0x99)},
			{"s leading zero, next byte high", half(size, "42", 0x42), half(size, "00ff", 0x99)},
			{"both with two leading zeros", half(size, "000080", 0x01), half(size, "00007f", 0x01)},
			{"r is one", append(make([]byte, size-1), 1), half(size, "80", 0x80)},
			{"s is one", half(size, "80", 0x80), append(make([]byte, size-1), 1)},
		}
		for _, c := range cases {
			raw := append(append([]byte(nil), c.r...), c.s...)
			want := stdDER(raw)
			got, err := AppendDER([]byte("prefix"), raw, size)
			if err != nil {
				t.Fatalf("size %d, %s: %v", size, c.name, err)
			}
			if !bytes.Equal(got[6:], want) || string(got[:6]) != "prefix" {
				t.Errorf("size %d, %s:\n got %x\nwant prefix%x", size, c.name, got, want)
			}
			back, ok := ParseDER(want, size)
			if !ok || !bytes.Equal(back, raw) {
				t.Errorf("size %d, %s: ParseDER(%x) = %x, %v; want %x", size, c.name, want, back, ok, raw)
			}
		}
	}
}

// TestVectors checks both conversions on hand-checked vectors with leading
// zero bytes and high bits set.
func TestVectors(t *testing.T) {
	data, err := os.ReadFile("testdata/ecdsa_raw_der.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Tests []struct {
			Comment string
			Size    int
			Raw     string
			DER     string
		}
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Tests) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range file.Tests {
		t.Run(v.Comment, func(t *testing.T) {
			raw, want := testenv.Hex(t, v.Raw), testenv.Hex(t, v.DER)
			got, err := AppendDER(nil, raw, v.Size)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("AppendDER = %x, want %x", got, want)
			}
			back, ok := ParseDER(want, v.Size)
			if !ok || !bytes.Equal(back, raw) {
				t.Fatalf("ParseDER = %x, %v; want %x", back, ok, raw)
			}
		})
	}
}

func TestAppendDERRejects(t *testing.T) {
	zero := make([]byte, 32)
	one := append(make([]byte, 31), 1)
	for _, c := range []struct {
		name string
		raw  []byte
		size int
		want string
	}{
		{"short", make([]byte, 63), 32, "63 bytes, want 64"},
		{"long", make([]byte, 65), 32, "65 bytes, want 64"},
		{"r zero", append(append([]byte(nil), zero...), one...), 32, "zero"},
		{"s zero", append(append([]byte(nil), one...), zero...), 32, "zero"},
		{"size zero", nil, 0, "not supported"},
		{"size too large", make([]byte, 124), 62, "not supported"},
	} {
		if _, err := AppendDER(nil, c.raw, c.size); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestParseDERRejects(t *testing.T) {
	for _, c := range []struct{ name, der string }{
		{"empty", ""},
		{"not a sequence", "3106020101020101"},
		{"OCTET STRING instead of SEQUENCE", "0406020101020101"},
		{"length too long", "3007020101020101"},
		{"length too short", "3005020101020101"},
		{"long-form length where the short form fits", "308106020101020101"},
		{"trailing byte", "300602010102010100"},
		{"trailing byte inside", "300702010102010100"},
		{"one integer", "3003020101"},
		{"three integers", "3009020101020101020101"},
		{"negative r", "3006020181020101"},
		{"zero r", "3006020100020101"},
		{"zero s", "3006020101020100"},
		{"non-minimal r", "300702020001020101"},
		{"empty r", "30050200020101"},
		{"wrong tag", "3006030101020101"},
		{"r longer than the curve", "3027022201" + strings.Repeat("01", 32) + "020101"},
	} {
		if raw, ok := ParseDER(testenv.Hex(t, c.der), 32); ok {
			t.Errorf("%s: ParseDER(%s) accepted it as %x", c.name, c.der, raw)
		}
	}
}

// FuzzDER checks both conversions against encoding/asn1: any r‖s with
// non-zero halves encodes as asn1.Marshal does and decodes back, and any
// bytes ParseDER accepts are the strict DER asn1 would write.
func FuzzDER(f *testing.F) {
	f.Add(bytes.Repeat([]byte{0x80}, 64))
	f.Add(append(make([]byte, 33), bytes.Repeat([]byte{0xff}, 31)...))
	f.Add(stdDER(bytes.Repeat([]byte{0x01}, 64)))
	f.Add(bytes.Repeat([]byte{0xff}, 96))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, size := range []int{32, 48} {
			if raw, ok := ParseDER(data, size); ok {
				if want := stdDER(raw); !bytes.Equal(want, data) {
					t.Fatalf("ParseDER accepted %x, which is not the DER %x of its integers", data, want)
				}
			}
			if len(data) != 2*size {
				continue
			}
			der, err := AppendDER(nil, data, size)
			if len(minimal(data[:size])) == 0 || len(minimal(data[size:])) == 0 {
				if err == nil {
					t.Fatalf("AppendDER accepted a zero half: %x", data)
				}
				continue
			}
			if err != nil {
				t.Fatalf("AppendDER(%x): %v", data, err)
			}
			if want := stdDER(data); !bytes.Equal(der, want) {
				t.Fatalf("AppendDER(%x) = %x, want %x", data, der, want)
			}
			if back, ok := ParseDER(der, size); !ok || !bytes.Equal(back, data) {
				t.Fatalf("ParseDER(AppendDER(%x)) = %x, %v", data, back, ok)
			}
		}
	})
}
