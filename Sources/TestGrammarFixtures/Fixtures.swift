// A test fixture module: its Generated/ code comes from Grammar/ like the
// parser's, and exercises the generator's recursive-descent fallback
// (see Grammar/abnfc.conf).
