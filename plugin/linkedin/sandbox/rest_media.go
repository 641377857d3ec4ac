package sandbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
)

// DocumentLimit is the largest document LinkedIn's Documents API takes:
// 100 MB.
const DocumentLimit = 100 << 20

// uploadURLLifetime is how long an initializeUpload's uploadUrl is said to
// last (uploadUrlExpiresAt). The sandbox does not refuse a late upload.
const uploadURLLifetime = 24 * time.Hour

// initializeUpload is POST /rest/images?action=initializeUpload and
// POST /rest/documents?action=initializeUpload: the owner is checked like a
// post's author, and the answer names the new URN and where to PUT it.
func (s *Sandbox) initializeUpload(kind string) func(http.ResponseWriter, *http.Request, *grant) {
	return func(w http.ResponseWriter, r *http.Request, g *grant) {
		if r.URL.Query().Get("action") != "initializeUpload" {
			apiError(w, http.StatusBadRequest, "BAD_REQUEST", "action must be initializeUpload")
			return
		}
		var body struct {
			Req *struct {
				Owner string `json:"owner"`
			} `json:"initializeUploadRequest"`
		}
		if !decodeStrict(w, r, &body, "InitializeUploadRequest") {
			return
		}
		if body.Req == nil {
			invalid(w, "/initializeUploadRequest", "field is required but not found and has no default value")
			return
		}
		if !s.checkAuthor(w, body.Req.Owner, g, "/initializeUploadRequest/owner", access(r, kind+"s", "ACTION-initializeUpload")) {
			return
		}
		// LinkedIn's ids: C4E10AQ… for images, D4E10AQ… for documents.
		prefix := map[string]string{"image": "C4E10AQ", "document": "D4E10AQ"}[kind]
		a := &asset{id: prefix + randomID(12), owner: body.Req.Owner, kind: kind}
		s.mu.Lock()
		s.assets[a.id] = a
		s.mu.Unlock()
		// LinkedIn hands out www.linkedin.com/dms-uploads/... URLs, a host
		// the emulator cannot answer for; it uses its own, as for videos.
		writeJSON(w, http.StatusOK, map[string]any{"value": map[string]any{
			"uploadUrlExpiresAt": s.opts.Now().Add(uploadURLLifetime).UnixMilli(),
			"uploadUrl":          s.opts.BaseURL + "/mediaUpload/" + kind + "/" + a.id,
			kind:                 "urn:li:" + kind + ":" + a.id,
		}})
	}
}

// sniff names the format of an upload from its first bytes, "" for one
// LinkedIn does not take: images are JPG, GIF or PNG; documents PDF, DOC or
// PPT (both OLE compound files) or DOCX or PPTX (both zip files; any zip
// passes, the sandbox does not open it).
func sniff(kind string, head []byte) string {
	formats := map[string][]struct{ magic, mime string }{
		"image": {{"\xFF\xD8\xFF", "image/jpeg"}, {"\x89PNG\r\n\x1a\n", "image/png"}, {"GIF87a", "image/gif"}, {"GIF89a", "image/gif"}},
		"document": {{"%PDF-", "application/pdf"}, {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "application/x-ole-storage"},
			{"PK\x03\x04", "application/zip"}},
	}[kind]
	for _, f := range formats {
		if bytes.HasPrefix(head, []byte(f.magic)) {
			return f.mime
		}
	}
	return ""
}

// uploadMedia takes the bytes of an image or document (PUT; POST too for
// images) at the uploadUrl initializeUpload gave: 201, or 400 for a format
// LinkedIn does not take and 413 for a document over 100 MB. The bytes are
// sniffed, then hashed as they stream, never held. LinkedIn also refuses a
// PDF of more than 300 pages; the sandbox does not count pages.
func (s *Sandbox) uploadMedia(kind string) func(http.ResponseWriter, *http.Request, *grant) {
	return func(w http.ResponseWriter, r *http.Request, g *grant) {
		s.mu.Lock()
		a := s.assets[chi.URLParam(r, "id")]
		s.mu.Unlock()
		if a == nil || a.kind != kind {
			apiError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "No upload was registered at this URL")
			return
		}
		tooLarge := func() {
			apiError(w, http.StatusRequestEntityTooLarge, "REQUEST_ENTITY_TOO_LARGE",
				fmt.Sprintf("The document is larger than the maximum file size of %d bytes (100 MB)", DocumentLimit))
		}
		if kind == "document" && r.ContentLength > DocumentLimit {
			tooLarge()
			return
		}
		head := make([]byte, 8)
		n, err := io.ReadFull(r.Body, head)
		if n == 0 || (err != nil && err != io.ErrUnexpectedEOF) {
			apiError(w, http.StatusBadRequest, "BAD_REQUEST", "the upload has no bytes or was cut off")
			return
		}
		format := sniff(kind, head[:n])
		if format == "" {
			apiError(w, http.StatusBadRequest, "BAD_REQUEST", map[string]string{
				"image":    "Unsupported image format: an image must be JPG, GIF or PNG",
				"document": "Unsupported document format: a document must be PDF, PPT, PPTX, DOC or DOCX",
			}[kind])
			return
		}
		sum := sha256.New()
		sum.Write(head[:n])
		rest := io.Reader(r.Body)
		if kind == "document" {
			// One byte past the limit is enough to know it is too large.
			rest = io.LimitReader(r.Body, DocumentLimit-int64(n)+1)
		}
		more, err := io.Copy(sum, rest)
		size := int64(n) + more
		switch {
		case err != nil:
			apiError(w, http.StatusBadRequest, "BAD_REQUEST", "the upload was cut off")
			return
		case kind == "document" && size > DocumentLimit:
			tooLarge()
			return
		}
		s.mu.Lock()
		a.size, a.sha256, a.contentType, a.statusReads = size, hex.EncodeToString(sum.Sum(nil)), format, 0
		s.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}
}

// Media says how many bytes an image, document or asset URN
// (urn:li:image:X, urn:li:document:X, urn:li:digitalmediaAsset:X) received
// and their SHA-256 (hex); ok is false until they arrive.
func (s *Sandbox) Media(urn string) (size int64, sha string, ok bool) {
	kind, id, found := strings.Cut(strings.TrimPrefix(urn, "urn:li:"), ":")
	if !found {
		return 0, "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.assets[id]
	if a == nil || a.size == 0 || (kind != "digitalmediaAsset" && kind != a.kind) {
		return 0, "", false
	}
	return a.size, a.sha256, true
}
