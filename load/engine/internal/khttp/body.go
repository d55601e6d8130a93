package khttp

import (
	"bytes"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// fileData is what http.file() returns (a DynamicObject: data, filename, content_type).
type fileData struct {
	rt          *goja.Runtime
	data        []byte
	dataVal     goja.Value
	filename    string
	contentType string
}

func (f *fileData) Get(key string) goja.Value {
	switch key {
	case "data":
		return f.dataVal
	case "filename":
		return f.rt.ToValue(f.filename)
	case "content_type":
		return f.rt.ToValue(f.contentType)
	}
	return nil
}
func (f *fileData) Set(string, goja.Value) bool { return false }
func (f *fileData) Has(key string) bool {
	return key == "data" || key == "filename" || key == "content_type"
}
func (f *fileData) Delete(string) bool { return false }
func (f *fileData) Keys() []string     { return []string{"data", "filename", "content_type"} }

// file is http.file(data, filename?, contentType?).
func (m *module) file(c goja.FunctionCall) goja.Value {
	dv := c.Argument(0)
	if isNullish(dv) {
		m.typeError("http.file() needs data (a string or an ArrayBuffer)")
	}
	data, ok := m.bytesOf(dv)
	if !ok {
		data = []byte(dv.String())
	}
	f := &fileData{rt: m.rt, data: data, dataVal: dv, contentType: "application/octet-stream"}
	if v := c.Argument(1); !isNullish(v) {
		f.filename = v.String()
	}
	if v := c.Argument(2); !isNullish(v) {
		f.contentType = v.String()
	}
	return m.rt.NewDynamicObject(f)
}

// bytesOf returns a copy of the bytes of an ArrayBuffer or a typed array / DataView.
func (m *module) bytesOf(v goja.Value) ([]byte, bool) {
	obj, ok := v.(*goja.Object)
	if !ok {
		return nil, false
	}
	t := obj.ExportType()
	if t == nil {
		return nil, false
	}
	if t == typeArrayBuffer {
		ab := obj.Export().(goja.ArrayBuffer)
		return append([]byte(nil), ab.Bytes()...), true
	}
	if t.Kind() != reflect.Slice || t == typeAnySlice {
		return nil, false
	}
	// typed arrays and DataView: their bytes through .buffer
	if bv := obj.Get("buffer"); bv != nil {
		if ab, ok := bv.Export().(goja.ArrayBuffer); ok {
			off := int(obj.Get("byteOffset").ToInteger())
			n := int(obj.Get("byteLength").ToInteger())
			all := ab.Bytes()
			if off >= 0 && n >= 0 && off+n <= len(all) {
				return append([]byte(nil), all[off:off+n]...), true
			}
		}
	}
	return nil, false
}

var (
	typeArrayBuffer = reflect.TypeOf(goja.ArrayBuffer{})
	typeAnySlice    = reflect.TypeOf([]any(nil))
	typeFileData    = reflect.TypeOf((*fileData)(nil))
)

func isFileData(v goja.Value) (*fileData, bool) {
	o, ok := v.(*goja.Object)
	if !ok || o.ExportType() != typeFileData {
		return nil, false
	}
	return o.Export().(*fileData), true
}

// readBody sets pr.body (and a Content-Type when the body is a form) from a JS value.
func (m *module) readBody(pr *prepared, v goja.Value) {
	pr.hasBody = true
	obj, isObj := v.(*goja.Object)
	if !isObj {
		pr.body = []byte(v.String())
		return
	}
	if b, ok := m.bytesOf(obj); ok {
		pr.body = b
		return
	}
	if f, ok := isFileData(obj); ok {
		pr.body = f.data
		if pr.header.Get("Content-Type") == "" {
			pr.header.Set("Content-Type", f.contentType)
		}
		return
	}
	if obj.ClassName() != "Object" {
		pr.body = []byte(v.String())
		return
	}
	keys := obj.Keys()
	multi := false
	for _, k := range keys {
		if _, isFile := isFileData(obj.Get(k)); isFile {
			multi = true
			break
		}
	}
	if !multi {
		vals := make(url.Values, len(keys))
		for _, k := range keys {
			fv := obj.Get(k)
			if isNullish(fv) {
				vals.Add(k, "")
				continue
			}
			if arr, ok := fv.(*goja.Object); ok && arr.ClassName() == "Array" {
				n := int(arr.Get("length").ToInteger())
				for i := 0; i < n; i++ {
					vals.Add(k, arr.Get(strconv.Itoa(i)).String())
				}
				continue
			}
			vals.Add(k, fv.String())
		}
		pr.body = []byte(vals.Encode())
		if pr.header.Get("Content-Type") == "" {
			pr.header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		return
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, k := range keys {
		fv := obj.Get(k)
		{
			if f, isFile := isFileData(fv); isFile {
				name := f.filename
				if name == "" {
					name = k
				}
				h := make(textproto.MIMEHeader)
				h.Set("Content-Disposition", `form-data; name="`+escapeQuotes(k)+`"; filename="`+escapeQuotes(name)+`"`)
				h.Set("Content-Type", f.contentType)
				pw, err := w.CreatePart(h)
				if err != nil {
					m.throw(err)
				}
				_, _ = pw.Write(f.data)
				continue
			}
		}
		s := ""
		if !isNullish(fv) {
			s = fv.String()
		}
		if err := w.WriteField(k, s); err != nil {
			m.throw(err)
		}
	}
	if err := w.Close(); err != nil {
		m.throw(err)
	}
	pr.body = buf.Bytes()
	ct := pr.header.Get("Content-Type")
	if ct == "" || (strings.HasPrefix(ct, "multipart/form-data") && !strings.Contains(ct, "boundary=")) {
		pr.header.Set("Content-Type", w.FormDataContentType())
	}
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")

func escapeQuotes(s string) string { return quoteEscaper.Replace(s) }
