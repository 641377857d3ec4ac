package sqlite

// Freshness is how soon another process's write is seen.
const Freshness = freshness
