package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/go-chi/chi/v5"
)

// auditStamp is LinkedIn's who-and-when of a change.
type auditStamp struct {
	Actor string `json:"actor"`
	Time  int64  `json:"time"`
}

// comment is a comment on a post, as the Comments API answers it. Its
// message is plain text, kept and answered as sent: text and attributes.
type comment struct {
	ID      string `json:"id"`
	Actor   string `json:"actor"`
	Object  string `json:"object"`
	Message struct {
		Text       string            `json:"text"`
		Attributes []json.RawMessage `json:"attributes,omitempty"`
	} `json:"message"`
	ParentComment string     `json:"parentComment,omitempty"`
	Created       auditStamp `json:"created"`
	LastModified  auditStamp `json:"lastModified"`
	CommentURN    string     `json:"commentUrn"`
}

// commentsResource is the Comments API's name in ACCESS_DENIED messages.
const commentsResource = "partnerApiSocialActions"

// commentURN is a comment's URN: urn:li:comment:(post URN,id).
var commentURN = regexp.MustCompile(`^urn:li:comment:\((urn:li:(?:share|ugcPost):[0-9]+),([0-9]+)\)$`)

// postOrComment is the key of a post's comments or a comment's replies.
var postOrComment = regexp.MustCompile(postURN.String() + "|" + commentURN.String())

// escapedReserved is a backslash before one of little text's reserved
// characters: in a comment, which is plain text, LinkedIn shows it as is.
var escapedReserved = regexp.MustCompile(`\\[|{}@\[\]()<>#\\*_~]`)

// postOf finds a post the sandbox knows; it answers 404 when there is none.
func (s *Sandbox) postOf(w http.ResponseWriter, urn string) bool {
	s.mu.Lock()
	post := s.restPosts[urn]
	s.mu.Unlock()
	if post == nil {
		apiError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Not Found: "+urn)
	}
	return post != nil
}

// commentsOn reads the key of /rest/socialActions/{urn}/comments: a post's
// URN, or a comment's for its replies. It returns the post and, for a
// comment, the comment's URN.
func commentsOn(w http.ResponseWriter, r *http.Request) (post, parent string, ok bool) {
	urn, ok := keyURN(w, r, "urn", postOrComment, "urn:li:share, urn:li:ugcPost or urn:li:comment")
	if !ok {
		return "", "", false
	}
	if m := commentURN.FindStringSubmatch(urn); m != nil {
		return m[1], urn, true
	}
	return urn, "", true
}

// commentOf finds a comment the sandbox knows; it answers 404 when there
// is none.
func (s *Sandbox) commentOf(w http.ResponseWriter, post, urn string) bool {
	s.mu.Lock()
	i := slices.IndexFunc(s.comments[post], func(c *comment) bool { return c.CommentURN == urn })
	s.mu.Unlock()
	if i < 0 {
		apiError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Not Found: "+urn)
	}
	return i >= 0
}

// utf16Len counts text as Java strings do, in UTF-16 code units: how the
// sandbox reads an attribute's start and length, and the text's limit.
func utf16Len(text string) int {
	n := 0
	for _, r := range text {
		n += utf16.RuneLen(r)
	}
	return n
}

// createComment is POST /rest/socialActions/{post urn}/comments with
// {actor, object, message: {text, attributes?}}: 201, the comment's id in
// x-restli-id and the comment in the body. A reply is POST
// /rest/socialActions/{parent comment urn}/comments with parentComment that
// URN and object the post. The text is plain text (not little text): kept
// and shown as sent, at most 1250 characters; each attribute (a mention)
// must fall inside it.
func (s *Sandbox) createComment(w http.ResponseWriter, r *http.Request, g *grant) {
	urn, parent, ok := commentsOn(w, r)
	if !ok {
		return
	}
	var body struct {
		Actor   string `json:"actor"`
		Object  string `json:"object"`
		Message *struct {
			Text       *string           `json:"text"`
			Attributes []json.RawMessage `json:"attributes"`
		} `json:"message"`
		ParentComment string `json:"parentComment"`
	}
	if !decodeStrict(w, r, &body, "Comment") {
		return
	}
	switch {
	case body.Object != urn:
		invalid(w, "/object", fmt.Sprintf("%q must be the post commented on, %s", body.Object, urn))
		return
	case body.ParentComment != parent && parent != "":
		invalid(w, "/parentComment", fmt.Sprintf("%q must be the comment replied to, %s", body.ParentComment, parent))
		return
	case body.ParentComment != parent:
		invalid(w, "/parentComment", "a reply is created under /rest/socialActions/{encoded parent comment URN}/comments")
		return
	case body.Message == nil || body.Message.Text == nil || strings.TrimSpace(*body.Message.Text) == "":
		invalid(w, "/message/text", "field is required but not found and has no default value")
		return
	}
	text := *body.Message.Text
	if n := utf16Len(text); n > commentLimit {
		invalid(w, "/message/text", fmt.Sprintf("length %d exceeds the maximum of %d characters", n, commentLimit))
		return
	}
	for i, raw := range body.Message.Attributes {
		var a struct {
			Start, Length *int
			Value         json.RawMessage
		}
		pointer := fmt.Sprintf("/message/attributes/%d", i)
		switch err := json.Unmarshal(raw, &a); {
		case err != nil:
			invalid(w, pointer, "is not a valid Attribute: "+err.Error())
			return
		case a.Start == nil || a.Length == nil || len(a.Value) == 0:
			invalid(w, pointer, "start, length and value are required but not found and have no default value")
			return
		case *a.Start < 0 || *a.Length < 1 || *a.Start+*a.Length > utf16Len(text):
			invalid(w, pointer, fmt.Sprintf("start %d and length %d fall outside the text, of %d characters", *a.Start, *a.Length, utf16Len(text)))
			return
		}
	}
	if !s.checkAuthor(w, body.Actor, g, "/actor", access(r, commentsResource, "CREATE")) || !s.postOf(w, urn) ||
		(parent != "" && !s.commentOf(w, urn, parent)) {
		return
	}
	now := s.opts.Now().UnixMilli()
	c := &comment{Actor: body.Actor, Object: urn, ParentComment: parent, Created: auditStamp{body.Actor, now}, LastModified: auditStamp{body.Actor, now}}
	c.Message.Text, c.Message.Attributes = text, body.Message.Attributes
	s.mu.Lock()
	s.seq++
	c.ID = strconv.FormatInt(s.seq, 10)
	c.CommentURN = "urn:li:comment:(" + urn + "," + c.ID + ")"
	s.comments[urn] = append(s.comments[urn], c)
	out := *c
	s.mu.Unlock()
	if esc := escapedReserved.FindString(text); esc != "" {
		s.logf("sandbox: comment %s: message has %q: a comment is plain text, and LinkedIn shows the backslash (a client escaped it as little text)", c.CommentURN, esc)
	}
	w.Header().Set("X-RestLi-Id", c.ID)
	writeJSON(w, http.StatusCreated, out)
}

// listComments is GET /rest/socialActions/{post urn}/comments: the post's
// comments, oldest first, paged with start and count; with a comment's URN,
// that comment's replies.
func (s *Sandbox) listComments(w http.ResponseWriter, r *http.Request, g *grant) {
	urn, parent, ok := commentsOn(w, r)
	if !ok || !s.postOf(w, urn) || (parent != "" && !s.commentOf(w, urn, parent)) {
		return
	}
	start, count, ok := paging(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	var elements []any
	for _, c := range s.comments[urn] {
		if c.ParentComment == parent {
			elements = append(elements, *c)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, collection(r, elements, start, count))
}

// deleteComment is DELETE /rest/socialActions/{post urn}/comments/{id}
// ?actor={urn}: 204. The actor must be one the member may act as, and the
// comment's own actor.
func (s *Sandbox) deleteComment(w http.ResponseWriter, r *http.Request, g *grant) {
	urn, ok := keyURN(w, r, "urn", postURN, "urn:li:share or urn:li:ugcPost")
	if !ok {
		return
	}
	id, actor := chi.URLParam(r, "id"), r.URL.Query().Get("actor")
	if !authorURN.MatchString(actor) {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid value for param actor: %q is not a urn:li:person or urn:li:organization URN", actor))
		return
	}
	if !s.checkAuthor(w, actor, g, "/actor", access(r, commentsResource, "DELETE")) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	comments := s.comments[urn]
	i := slices.IndexFunc(comments, func(c *comment) bool { return c.ID == id })
	switch {
	case i < 0:
		apiError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Not Found: urn:li:comment:("+urn+","+id+")")
	case comments[i].Actor != actor:
		apiError(w, http.StatusForbidden, "ACCESS_DENIED", "Not enough permissions to access: "+access(r, commentsResource, "DELETE")+": the comment's actor is "+comments[i].Actor+", not "+actor)
	default:
		s.comments[urn] = slices.Delete(comments, i, i+1)
		w.WriteHeader(http.StatusNoContent)
	}
}

// reactionKey is a reaction's compound key: who reacted to which post.
type reactionKey struct{ actor, entity string }

// reaction is a reaction, as the Reactions API answers it.
type reaction struct {
	ID           string     `json:"id"`
	Root         string     `json:"root"`
	ReactionType string     `json:"reactionType"`
	Created      auditStamp `json:"created"`
	LastModified auditStamp `json:"lastModified"`
}

// reactionsResource is the Reactions API's name in ACCESS_DENIED messages.
const reactionsResource = "partnerApiReactions"

var reactionTypes = []string{"LIKE", "PRAISE", "EMPATHY", "INTEREST", "APPRECIATION", "ENTERTAINMENT"}

// createReaction is POST /rest/reactions?actor={urn} with {root,
// reactionType}: 201, urn:li:reaction:(actor,root) in x-restli-id and the
// reaction in the body. An actor has one reaction on a post: reacting again
// replaces its type.
func (s *Sandbox) createReaction(w http.ResponseWriter, r *http.Request, g *grant) {
	actor := r.URL.Query().Get("actor")
	if !authorURN.MatchString(actor) {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid value for param actor: %q is not a urn:li:person or urn:li:organization URN", actor))
		return
	}
	var body struct {
		Root         string `json:"root"`
		ReactionType string `json:"reactionType"`
	}
	if !decodeStrict(w, r, &body, "Reaction") {
		return
	}
	switch {
	case !slices.Contains(reactionTypes, body.ReactionType):
		invalid(w, "/reactionType", fmt.Sprintf("%q is not an enum symbol of ReactionType (%s)", body.ReactionType, strings.Join(reactionTypes, ", ")))
		return
	case !postURN.MatchString(body.Root):
		invalid(w, "/root", fmt.Sprintf("%q is not a urn:li:share or urn:li:ugcPost URN", body.Root))
		return
	}
	if !s.checkAuthor(w, actor, g, "/actor", access(r, reactionsResource, "CREATE")) || !s.postOf(w, body.Root) {
		return
	}
	now := s.opts.Now().UnixMilli()
	id := "urn:li:reaction:(" + actor + "," + body.Root + ")"
	s.mu.Lock()
	created := auditStamp{actor, now}
	if old := s.reactions[reactionKey{actor, body.Root}]; old != nil {
		created = old.Created
	}
	re := &reaction{ID: id, Root: body.Root, ReactionType: body.ReactionType, Created: created, LastModified: auditStamp{actor, now}}
	s.reactions[reactionKey{actor, body.Root}] = re
	out := *re
	s.mu.Unlock()
	w.Header().Set("X-RestLi-Id", id)
	writeJSON(w, http.StatusCreated, out)
}

// parseCompoundKey reads a Rest.li 2.0 compound key, (k1:v1,k2:v2): the
// parentheses, colons and comma literal, each value percent-encoded (so an
// unencoded URN's colons make it malformed).
func parseCompoundKey(raw string) (map[string]string, bool) {
	v, err := parseRestli(raw)
	record, _ := v.(map[string]any)
	if err != nil || len(record) == 0 {
		return nil, false
	}
	key := map[string]string{}
	for k, v := range record {
		if key[k], _ = v.(string); key[k] == "" {
			return nil, false
		}
	}
	return key, true
}

// deleteReaction is DELETE /rest/reactions/(actor:{urn},entity:{urn}):
// 204, 404 for a reaction the sandbox does not know.
func (s *Sandbox) deleteReaction(w http.ResponseWriter, r *http.Request, g *grant) {
	key, ok := parseCompoundKey(chi.URLParam(r, "key"))
	if !ok || len(key) != 2 || !authorURN.MatchString(key["actor"]) || !postURN.MatchString(key["entity"]) {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "Syntax exception in path variables: the key must be (actor:{encoded person or organization URN},entity:{encoded post URN})")
		return
	}
	actor, entity := key["actor"], key["entity"]
	if !s.checkAuthor(w, actor, g, "/actor", access(r, reactionsResource, "DELETE")) {
		return
	}
	s.mu.Lock()
	re := s.reactions[reactionKey{actor, entity}]
	delete(s.reactions, reactionKey{actor, entity})
	s.mu.Unlock()
	if re == nil {
		apiError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Not Found: urn:li:reaction:("+actor+","+entity+")")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
