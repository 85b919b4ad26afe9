package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/static"
)

// assetPrefix is where static files live; the URL is assetPrefix + hash + "/" + name.
const assetPrefix = "/static/"

// asset is one embedded static file with its content hash.
type asset struct {
	name  string
	hash  string // first 12 hex digits of the SHA-256 of the content
	body  []byte
	ctype string
}

// assets are the embedded static files, hashed once at start so every URL changes when its
// content does and can therefore be cached for a year.
type assets struct {
	files map[string]*asset
	urls  map[string]string // name -> hashed URL, for templates
}

func loadAssets() (*assets, error) {
	a := &assets{files: map[string]*asset{}, urls: map[string]string{}}
	err := fs.WalkDir(static.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) == ".go" {
			return err
		}
		body, err := fs.ReadFile(static.FS, p)
		if err != nil {
			return fmt.Errorf("read static %s: %w", p, err)
		}
		sum := sha256.Sum256(body)
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		f := &asset{name: p, hash: hex.EncodeToString(sum[:6]), body: body, ctype: ct}
		a.files[p] = f
		a.urls[p] = assetPrefix + f.hash + "/" + p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load static assets: %w", err)
	}
	return a, nil
}

// URL is the hashed URL of a static file.
func (a *assets) URL(name string) string { return a.urls[name] }

// handleStatic serves /static/{hash}/{name}. A current hash gets a year of immutable
// caching; an outdated one (a page from before a deploy) still gets the file, uncached.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "*")
	f, ok := s.assets.files[name]
	if !ok {
		s.notFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	if chi.URLParam(r, "hash") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("ETag", `"`+f.hash+`"`)
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
}

// handleFavicon answers /favicon.ico, which browsers ask for without reading a page, with a
// redirect to the hashed icon.
func (s *Server) handleFavicon(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, s.assets.URL("favicon.svg"), http.StatusMovedPermanently)
}
