package promexport

import (
	"strconv"
	"strings"
	"testing"
)

func TestValidateAddr(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:9464", "127.0.0.1:0", "[::1]:9464", "localhost:9464"} {
		if err := ValidateAddr("--metrics-addr", ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"0.0.0.0:9464", ":9464", "192.168.1.2:9464", "127.0.0.1", "127.0.0.1:x", "example.com:80"} {
		err := ValidateAddr("--metrics-addr", bad)
		if err == nil || !strings.Contains(err.Error(), "--metrics-addr") {
			t.Errorf("%s: want an error naming --metrics-addr, got %v", bad, err)
		}
	}
}

func TestLimiterFoldsExtraValues(t *testing.T) {
	l := newLimiter(3)
	for i := 0; i < 3; i++ {
		if got := l.value("v" + strconv.Itoa(i)); got != "v"+strconv.Itoa(i) {
			t.Errorf("value %d = %q", i, got)
		}
	}
	if got := l.value("v9"); got != OtherValue {
		t.Errorf("4th distinct value = %q, want %q", got, OtherValue)
	}
	if got := l.value("v1"); got != "v1" {
		t.Errorf("seen value after the cap = %q, want v1", got)
	}
}
