package order

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
)

func sample() Order {
	return Order{
		ClientOrderID: "c-1",
		Account:       "ACC-1",
		Symbol:        "AAPL",
		Side:          Buy,
		Type:          Limit,
		Quantity:      100,
		Price:         Price{Mantissa: 18925, Exponent: -2},
		TimeInForce:   Day,
		Timestamp:     1_795_000_000_000_000_001,
	}
}

type vector struct {
	Name  string          `json:"name"`
	JSON  json.RawMessage `json:"json"`
	Hex   string          `json:"canonical_hex"`
	Error string          `json:"error,omitempty"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	data, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestVectors checks the byte-exact vectors of docs/orders.md both ways.
func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			var o Order
			if err := json.Unmarshal(v.JSON, &o); err != nil {
				t.Fatalf("JSON: %v", err)
			}
			got, err := o.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != v.Hex {
				t.Fatalf("canonical\n got %x\nwant %s", got, v.Hex)
			}
			want, _ := hex.DecodeString(v.Hex)
			d, err := Decode(want)
			if err != nil {
				t.Fatal(err)
			}
			if d != o {
				t.Fatalf("decode: got %+v want %+v", d, o)
			}
			back, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			var again Order
			if err := json.Unmarshal(back, &again); err != nil || again != o {
				t.Fatalf("JSON round trip: %v %+v", err, again)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	good, err := func() ([]byte, error) { o := sample(); return o.MarshalBinary() }()
	if err != nil {
		t.Fatal(err)
	}
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name  string
		in    []byte
		kind  error
		field string
	}{
		{"empty", nil, ErrTruncated, "version"},
		{"version 0", mod(func(b []byte) []byte { b[0] = 0; return b }), ErrUnknownVersion, "version"},
		{"version 2", mod(func(b []byte) []byte { b[0] = 2; return b }), ErrUnknownVersion, "version"},
		{"short head", good[:20], ErrTruncated, "header"},
		{"no strings", good[:FixedSize], ErrTruncated, "client_order_id"},
		{"cut in symbol", good[:len(good)-1], ErrTruncated, "symbol"},
		{"trailing byte", append(bytes.Clone(good), 0), ErrTrailingBytes, "end"},
		{"side 0", mod(func(b []byte) []byte { b[offSide] = 0; return b }), ErrEnum, "side"},
		{"side 3", mod(func(b []byte) []byte { b[offSide] = 3; return b }), ErrEnum, "side"},
		{"type 9", mod(func(b []byte) []byte { b[offType] = 9; return b }), ErrEnum, "type"},
		{"tif 5", mod(func(b []byte) []byte { b[offTIF] = 5; return b }), ErrEnum, "time_in_force"},
		{"zero quantity", mod(func(b []byte) []byte { clear(b[offQty : offQty+8]); return b }), ErrQuantity, "quantity"},
		{"negative quantity", mod(func(b []byte) []byte { b[offQty] = 0xff; return b }), ErrQuantity, "quantity"},
		{"limit zero price", mod(func(b []byte) []byte { clear(b[offMant : offMant+8]); return b }), ErrPrice, "price"},
		{"limit negative price", mod(func(b []byte) []byte { b[offMant] = 0x80; return b }), ErrPrice, "price"},
		{"exponent 1", mod(func(b []byte) []byte { b[offExp] = 1; return b }), ErrPrice, "price"},
		{"exponent -10", mod(func(b []byte) []byte { b[offExp] = 0xf6; return b }), ErrPrice, "price"},
		{"trailing zero", mustEncode(t, func(o *Order) {}, func(b []byte) { clear(b[offMant : offMant+8]); b[offMant+7] = 10; b[offExp] = 0xff }), ErrNonCanonical, "price"},
		{"market with price", mod(func(b []byte) []byte { b[offType] = byte(Market); return b }), ErrPrice, "price"},
		{"zero timestamp", mod(func(b []byte) []byte { clear(b[offTime : offTime+8]); return b }), ErrTimestamp, "timestamp"},
		{"empty client order id", mod(func(b []byte) []byte { b[offStrings] = 0; return b }), ErrStringLength, "client_order_id"},
		{"over-long client order id", mustEncode(t, func(o *Order) {}, func(b []byte) { b[offStrings] = MaxClientOrderID + 1 }), ErrStringLength, "client_order_id"},
		{"non-UTF-8 account", mod(func(b []byte) []byte { b[offStrings+1+3+1] = 0xff; return b }), ErrNotUTF8, "account"},
		{"control char symbol", mod(func(b []byte) []byte { b[len(b)-1] = '\n'; return b }), ErrControlChar, "symbol"},
		{"DEL in symbol", mod(func(b []byte) []byte { b[len(b)-1] = 0x7f; return b }), ErrControlChar, "symbol"},
		{"C1 control in symbol", mod(func(b []byte) []byte { copy(b[len(b)-2:], "\xc2\x85"); return b }), ErrControlChar, "symbol"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.in)
			if err == nil {
				t.Fatal("decoded")
			}
			if !errors.Is(err, ErrInvalid) || !errors.Is(err, tc.kind) {
				t.Fatalf("error %v; want ErrInvalid and %v", err, tc.kind)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("error %v; want field %s", err, tc.field)
			}
		})
	}
}

func mustEncode(t *testing.T, edit func(*Order), patch func([]byte)) []byte {
	o := sample()
	edit(&o)
	b, err := o.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	patch(b)
	return b
}

func TestValidateRejectsWhatDecodeRejects(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Order)
		kind error
	}{
		{"long symbol", func(o *Order) { o.Symbol = strings.Repeat("A", MaxSymbol+1) }, ErrStringLength},
		{"empty account", func(o *Order) { o.Account = "" }, ErrStringLength},
		{"bad UTF-8", func(o *Order) { o.ClientOrderID = "a\xffb" }, ErrNotUTF8},
		{"market with price", func(o *Order) { o.Type = Market }, ErrPrice},
		{"non-canonical price", func(o *Order) { o.Price = Price{1890, -1} }, ErrNonCanonical},
		{"negative quantity", func(o *Order) { o.Quantity = -5 }, ErrQuantity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := sample()
			tc.edit(&o)
			if _, err := o.MarshalBinary(); !errors.Is(err, tc.kind) {
				t.Fatalf("got %v, want %v", err, tc.kind)
			}
		})
	}
	o := sample()
	o.Symbol = "Ωmega" // UTF-8 is fine
	if _, err := o.MarshalBinary(); err != nil {
		t.Fatal(err)
	}
}

func TestJSONErrors(t *testing.T) {
	base := `{"version":1,"client_order_id":"c-1","account":"A","symbol":"S","side":"buy","type":"limit","quantity":1,"price":"1.5","time_in_force":"day","timestamp":"2026-11-26T14:30:00Z"}`
	tests := []struct {
		name, in string
		kind     error
	}{
		{"unknown field", strings.Replace(base, `"version":1`, `"version":1,"extra":1`, 1), ErrJSON},
		{"version 2", strings.Replace(base, `"version":1`, `"version":2`, 1), ErrUnknownVersion},
		{"float price", strings.Replace(base, `"1.5"`, `1.5`, 1), ErrJSON},
		{"price exponent", strings.Replace(base, `"1.5"`, `"1e3"`, 1), ErrPrice},
		{"negative price", strings.Replace(base, `"1.5"`, `"-1.5"`, 1), ErrPrice},
		{"ten decimals", strings.Replace(base, `"1.5"`, `"1.0000000001"`, 1), ErrPrice},
		{"side", strings.Replace(base, `"buy"`, `"BUY"`, 1), ErrEnum},
		{"type", strings.Replace(base, `"limit"`, `"stop"`, 1), ErrEnum},
		{"tif", strings.Replace(base, `"day"`, `"gtd"`, 1), ErrEnum},
		{"timestamp", strings.Replace(base, `2026-11-26T14:30:00Z`, `yesterday`, 1), ErrTimestamp},
		{"zero quantity", strings.Replace(base, `"quantity":1`, `"quantity":0`, 1), ErrQuantity},
		{"market with price", strings.Replace(base, `"limit"`, `"market"`, 1), ErrPrice},
		{"trailing data", base + `{}`, ErrJSON},
		{"not an object", `[1]`, ErrJSON},
		{"duplicate side", strings.Replace(base, `"side":"buy"`, `"side":"buy","side":"sell"`, 1), ErrJSON},
		{"duplicate quantity", strings.Replace(base, `"quantity":1`, `"quantity":1,"quantity":1000000`, 1), ErrJSON},
		{"duplicate by case", strings.Replace(base, `"side":"buy"`, `"side":"buy","SIDE":"sell"`, 1), ErrJSON},
		{"name in other case", strings.Replace(base, `"side"`, `"Side"`, 1), ErrJSON},
		{"null price", strings.Replace(base, `"price":"1.5"`, `"price":null`, 1), ErrJSON},
		{"ten fractional digits", strings.Replace(base, `14:30:00Z`, `14:30:00.0000000001Z`, 1), ErrTimestamp},
		{"twelve fractional digits", strings.Replace(base, `14:30:00Z`, `14:30:00.123456789999Z`, 1), ErrTimestamp},
		{"year 1677 wraps to the future", strings.Replace(base, `2026-11-26T14:30:00Z`, `1677-01-01T00:00:00Z`, 1), ErrTimestamp},
		{"year 1", strings.Replace(base, `2026-11-26T14:30:00Z`, `0001-01-01T00:00:00Z`, 1), ErrTimestamp},
		{"year 1969", strings.Replace(base, `2026-11-26T14:30:00Z`, `1969-12-31T23:59:59.999999999Z`, 1), ErrTimestamp},
		{"the epoch", strings.Replace(base, `2026-11-26T14:30:00Z`, `1970-01-01T00:00:00Z`, 1), ErrTimestamp},
		{"a nanosecond past the end", strings.Replace(base, `2026-11-26T14:30:00Z`, `2262-04-11T23:47:16.854775808Z`, 1), ErrTimestamp},
		{"year 2263", strings.Replace(base, `2026-11-26T14:30:00Z`, `2263-01-01T00:00:00Z`, 1), ErrTimestamp},
		{"year 9999", strings.Replace(base, `2026-11-26T14:30:00Z`, `9999-12-31T23:59:59Z`, 1), ErrTimestamp},
		{"duplicate through an escape", strings.Replace(base, `"side":"buy"`, `"side":"buy","\u0073ide":"sell"`, 1), ErrJSON},
		{"nested value", strings.Replace(base, `"price":"1.5"`, `"price":{"a":["}",{"b":"\"]"}]}`, 1), ErrJSON},
		{"unknown field after nesting", strings.Replace(base, `"version":1`, `"version":1,"x":[{"side":1}]`, 1), ErrJSON},
		{"not JSON", `{"version":1,`, ErrJSON},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o Order
			err := o.UnmarshalJSON([]byte(tc.in))
			if !errors.Is(err, ErrInvalid) || !errors.Is(err, tc.kind) {
				t.Fatalf("got %v (%+v), want %v", err, o, tc.kind)
			}
			if tc.kind == ErrTimestamp && strings.Contains(tc.name, "year") && !strings.Contains(err.Error(), "1970-01-01T00:00:00.000000001Z to 2262-04-11T23:47:16.854775807Z") {
				t.Fatalf("%v does not name the range", err)
			}
		})
	}
	// White space anywhere and escaped names are read like any others.
	spaced := " {\n\t" + strings.NewReplacer(`,"`, " ,\r\n \"", `":`, "\" : ", `"side"`, `"\u0073ide"`).Replace(base[1:len(base)-1]) + "\n} "
	var sp Order
	if err := json.Unmarshal([]byte(spaced), &sp); err != nil || sp.Side != Buy || sp.Quantity != 1 {
		t.Errorf("%s: %+v %v", spaced, sp, err)
	}
	// The ends of the range are accepted, exactly.
	for in, want := range map[string]int64{
		"1970-01-01T00:00:00.000000001Z":      1,
		"2262-04-11T23:47:16.854775807Z":      math.MaxInt64,
		"2262-04-12T01:47:16.854775807+02:00": math.MaxInt64,
		"2026-11-26T14:30:00.123456789Z":      1795703400123456789,
	} {
		var o Order
		if err := json.Unmarshal([]byte(strings.Replace(base, `2026-11-26T14:30:00Z`, in, 1)), &o); err != nil || o.Timestamp != want {
			t.Errorf("timestamp %s: %d %v; want %d", in, o.Timestamp, err, want)
		}
	}
	var o Order
	if err := json.Unmarshal([]byte(base), &o); err != nil {
		t.Fatal(err)
	}
	if o.Price != (Price{15, -1}) {
		t.Fatalf("price %+v", o.Price)
	}
}

func TestPrice(t *testing.T) {
	tests := []struct {
		in   string
		want Price
		out  string
	}{
		{"189.25", Price{18925, -2}, "189.25"},
		{"190", Price{190, 0}, "190"},
		{"190.000", Price{190, 0}, "190"},
		{"0.000000001", Price{1, -9}, "0.000000001"},
		{"1.50", Price{15, -1}, "1.5"},
	}
	for _, tc := range tests {
		p, err := ParsePrice(tc.in)
		if err != nil || p != tc.want || p.String() != tc.out {
			t.Errorf("ParsePrice(%q) = %+v %v (%s); want %+v %s", tc.in, p, err, p, tc.want, tc.out)
		}
	}
	for _, bad := range []string{"", ".5", "5.", "1.2.3", "+1", "1e2", "99999999999999999999"} {
		if _, err := ParsePrice(bad); !errors.Is(err, ErrPrice) {
			t.Errorf("ParsePrice(%q) = %v; want ErrPrice", bad, err)
		}
	}
}

func TestParseDoesNotAllocate(t *testing.T) {
	testenv.SkipAllocations(t)
	o := sample()
	b, _ := o.MarshalBinary()
	var v View
	if n := testing.AllocsPerRun(100, func() { _ = Parse(b, &v) }); n != 0 {
		t.Fatalf("Parse allocates %v times", n)
	}
	buf := make([]byte, 0, MaxSize)
	if n := testing.AllocsPerRun(100, func() { _, _ = o.AppendCanonical(buf[:0]) }); n != 0 {
		t.Fatalf("AppendCanonical allocates %v times", n)
	}
}

// FuzzDecode checks that the decoder never panics, that whatever it accepts
// re-encodes to exactly the same bytes, and that the JSON form round-trips.
func FuzzDecode(f *testing.F) {
	for _, v := range loadVectors(f) {
		b, _ := hex.DecodeString(v.Hex)
		f.Add(b)
	}
	o := sample()
	b, _ := o.MarshalBinary()
	f.Add(b)
	f.Add(b[:10])
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := Decode(in)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		out, err := d.MarshalBinary()
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("accepted %x but re-encodes to %x (%v)", in, out, err)
		}
		j, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back Order
		if err := json.Unmarshal(j, &back); err != nil || back != d {
			t.Fatalf("JSON round trip of %s: %v", j, err)
		}
	})
}

// FuzzUnmarshalJSON checks that the JSON decoder never panics, that every
// error matches ErrInvalid, and that whatever it accepts encodes and decodes
// back to the same order.
func FuzzUnmarshalJSON(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add([]byte(v.JSON))
	}
	f.Add([]byte(benchJSON))
	f.Add([]byte(`{"version":1,"side":"buy","\u0073ide":"sell"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var o Order
		if err := o.UnmarshalJSON(in); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		j, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		var back Order
		if err := json.Unmarshal(j, &back); err != nil || back != o {
			t.Fatalf("round trip of %s: %+v %v", j, back, err)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	o := sample()
	in, _ := o.MarshalBinary()
	var v View
	b.ReportAllocs()
	for b.Loop() {
		if err := Parse(in, &v); err != nil {
			b.Fatal(err)
		}
	}
}

const benchJSON = `{"version":1,"client_order_id":"c-1","account":"ACC-1","symbol":"AAPL","side":"buy","type":"limit","quantity":100,"price":"189.25","time_in_force":"day","timestamp":"2026-11-26T14:30:00.000000001Z"}`

// BenchmarkUnmarshalJSON decodes the JSON form with every check.
func BenchmarkUnmarshalJSON(b *testing.B) {
	data := []byte(benchJSON)
	b.ReportAllocs()
	for b.Loop() {
		var o Order
		if err := o.UnmarshalJSON(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalJSONBaseline is the raw cost of encoding/json into the
// plain struct, with none of the checks, for comparison.
func BenchmarkUnmarshalJSONBaseline(b *testing.B) {
	data := []byte(benchJSON)
	b.ReportAllocs()
	for b.Loop() {
		var j jsonOrder
		if err := json.Unmarshal(data, &j); err != nil {
			b.Fatal(err)
		}
	}
}
