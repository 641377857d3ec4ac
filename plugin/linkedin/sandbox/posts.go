package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

var (
	authorURN = regexp.MustCompile(`^urn:li:(person|organization):([A-Za-z0-9_-]+)$`)
	assetURN  = regexp.MustCompile(`^urn:li:(?:digitalmediaAsset|image|video):([A-Za-z0-9_-]+)$`)
)

type ugcPost struct {
	Author          string `json:"author"`
	LifecycleState  string `json:"lifecycleState"`
	SpecificContent struct {
		Share *struct {
			ShareCommentary struct {
				Text *string `json:"text"`
			} `json:"shareCommentary"`
			ShareMediaCategory string     `json:"shareMediaCategory"`
			Media              []ugcMedia `json:"media"`
		} `json:"com.linkedin.ugc.ShareContent"`
	} `json:"specificContent"`
	Visibility map[string]string `json:"visibility"`
}

const share = "/specificContent/com.linkedin.ugc.ShareContent"

// createPost is POST /v2/ugcPosts: 201 with the new URN in X-RestLi-Id, 422
// for a body LinkedIn would refuse, DUPLICATE_POST for the same content twice.
func (s *Sandbox) createPost(w http.ResponseWriter, r *http.Request, g *grant) {
	if r.Header.Get("X-Restli-Protocol-Version") != "2.0.0" {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "X-Restli-Protocol-Version 2.0.0 is required")
		return
	}
	var p ugcPost
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		invalid(w, "/", "body is not a valid UgcPost: "+err.Error())
		return
	}
	c := p.SpecificContent.Share
	switch {
	case p.LifecycleState != "PUBLISHED" && p.LifecycleState != "DRAFT":
		invalid(w, "/lifecycleState", fmt.Sprintf("%q is not an enum symbol of LifecycleState", p.LifecycleState))
	case !slices.Contains([]string{"PUBLIC", "CONNECTIONS"}, p.Visibility["com.linkedin.ugc.MemberNetworkVisibility"]):
		invalid(w, "/visibility/com.linkedin.ugc.MemberNetworkVisibility", "field is required and must be PUBLIC or CONNECTIONS")
	case c == nil:
		invalid(w, share, "field is required but not found and has no default value")
	case c.ShareCommentary.Text == nil || strings.TrimSpace(*c.ShareCommentary.Text) == "":
		invalid(w, share+"/shareCommentary/text", "field is required but not found and has no default value")
	case utf8.RuneCountInString(*c.ShareCommentary.Text) > 3000:
		invalid(w, share+"/shareCommentary/text", "length must be at most 3000")
	case !slices.Contains([]string{"NONE", "IMAGE", "VIDEO", "ARTICLE"}, c.ShareMediaCategory):
		invalid(w, share+"/shareMediaCategory", fmt.Sprintf("%q is not an enum symbol of ShareMediaCategory", c.ShareMediaCategory))
	case c.ShareMediaCategory == "NONE" && len(c.Media) > 0:
		invalid(w, share+"/media", "media must be empty when shareMediaCategory is NONE")
	case c.ShareMediaCategory != "NONE" && len(c.Media) == 0:
		invalid(w, share+"/media", "media is required for shareMediaCategory "+c.ShareMediaCategory)
	default:
		if !s.checkAuthor(w, p.Author, g, "/author", r.Method+" "+r.URL.Path) || !s.checkMedia(w, c.ShareMediaCategory, c.Media) {
			return
		}
		media, _ := json.Marshal(c.Media)
		fingerprint := p.Author + "\x00" + *c.ShareCommentary.Text + "\x00" + string(media)
		s.mu.Lock()
		existing, dup := s.posts[fingerprint]
		var id string
		if !dup {
			s.seq++
			id = fmt.Sprintf("urn:li:share:%d", s.seq)
			s.keepPost(s.fromUGC(id, p, fingerprint, s.seq))
		}
		s.mu.Unlock()
		if dup {
			duplicatePost(w, existing)
			return
		}
		w.Header().Set("X-RestLi-Id", id)
		w.WriteHeader(http.StatusCreated)
	}
}

type ugcMedia struct {
	Status      string          `json:"status"`
	Media       string          `json:"media"`
	OriginalURL string          `json:"originalUrl"`
	Title       json.RawMessage `json:"title"`
	Description json.RawMessage `json:"description"`
}

func (s *Sandbox) checkMedia(w http.ResponseWriter, category string, media []ugcMedia) bool {
	for i, m := range media {
		at := fmt.Sprintf("%s/media/%d", share, i)
		if m.Status != "READY" {
			invalid(w, at+"/status", "must be READY")
			return false
		}
		if category == "ARTICLE" {
			if !strings.HasPrefix(m.OriginalURL, "http") {
				invalid(w, at+"/originalUrl", "field is required for ARTICLE")
				return false
			}
			continue
		}
		id := assetURN.FindStringSubmatch(m.Media)
		if id == nil {
			invalid(w, at+"/media", fmt.Sprintf("%q is not a digital media asset URN", m.Media))
			return false
		}
		s.mu.Lock()
		a := s.assets[id[1]]
		s.mu.Unlock()
		if a == nil || a.size == 0 {
			invalid(w, at+"/media", "asset "+m.Media+" is not AVAILABLE: register and upload it first")
			return false
		}
	}
	return true
}

// duplicatePost is LinkedIn's 422 for the same content posted twice, as
// users of its API report it (Arisamiga/Linkedin-RSS#5): the code inside
// errorDetails.inputErrors, the existing post named in the message.
func duplicatePost(w http.ResponseWriter, existing string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"errorDetailType": "com.linkedin.common.error.BadRequest",
		"message":         "com.linkedin.content.common.exception.BadRequestResponseException: Content is a duplicate of " + existing,
		"errorDetails":    map[string]any{"inputErrors": []any{map[string]any{"description": "Duplicate post is detected", "input": map[string]any{}, "code": "DUPLICATE_POST"}}},
		"status":          http.StatusUnprocessableEntity})
}
