package runner

import (
	"bytes"
	"testing"
)

func TestFrameWriter(t *testing.T) {
	var out bytes.Buffer
	f := newFrameWriter(&out)
	_, _ = f.Write([]byte(`{"a":1}` + "\n" + `{"b":`))
	if out.String() != "@gd {\"a\":1}\n" {
		t.Fatalf("a partial line was written: %q", out.String())
	}
	_, _ = f.Write([]byte("2}\n\n"))
	_, _ = f.Write([]byte(`{"c":3}`))
	f.End(1500.5)
	want := "@gd {\"a\":1}\n@gd {\"b\":2}\n@gd \n@gd {\"c\":3}\n@gdend lines=4 durationMs=1500.500\n"
	if out.String() != want {
		t.Fatalf("got %q\nwant %q", out.String(), want)
	}
}
