package metrics

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
)

func md5hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

func TestGroupPathsAndIDs(t *testing.T) {
	root := NewRootGroup()
	if root.Name != "" || root.Path != "" || root.ID != md5hex("") {
		t.Fatalf("root %+v", root)
	}
	a := root.Child("a")
	b := a.Child("b")
	if a.Path != "::a" || b.Path != "::a::b" || b.ID != md5hex("::a::b") || b.Parent != a {
		t.Fatalf("%q %q", a.Path, b.Path)
	}
	c := b.Check("status 200")
	if c.Path != "::a::b::status 200" || c.ID != md5hex(c.Path) {
		t.Fatal(c.Path)
	}
	rc := root.Check("x")
	if rc.Path != "::x" {
		t.Fatal(rc.Path)
	}
	if root.Child("a") != a || b.Check("status 200") != c {
		t.Fatal("get-or-create")
	}
}

func TestGroupOrderAndConcurrency(t *testing.T) {
	root := NewRootGroup()
	for _, n := range []string{"z", "a", "m"} {
		root.Child(n)
		root.Check(n)
	}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				root.Child(fmt.Sprint("g", j%5))
				ck := root.Check("shared")
				ck.Record(j%4 != 0)
			}
		}(i)
	}
	wg.Wait()
	gs := root.Groups()
	if len(gs) != 8 || gs[0].Name != "z" || gs[1].Name != "a" || gs[2].Name != "m" {
		t.Fatalf("%d groups, first %s", len(gs), gs[0].Name)
	}
	cs := root.Checks()
	if len(cs) != 4 || cs[0].Name != "z" || cs[3].Name != "shared" {
		t.Fatal(len(cs))
	}
	if cs[3].Passes() != 50*75 || cs[3].Fails() != 50*25 {
		t.Fatal(cs[3].Passes(), cs[3].Fails())
	}
}
