/*
 * The compiled part of indexing: compact audit Event lines turned into row numbers in one call.
 *
 * ``scan(data, start)`` reads the lines of ``data`` from ``start`` for as long as each one is
 * an event that the typed decode path (schema.py) would accept and that this scanner can read
 * with certainty: valid JSON (strict UTF-8, no escaped surrogates), the fields the index needs
 * with the types schema.py declares, times in kube-apiserver's own micro-time layout and a
 * canonical audit ID. It stops at the first line that is anything else and leaves that line to
 * the Python path, which decides what it is. Everything it accepts it reads as that path would:
 * the Python side (linescan.py) turns the groups found here into codes with the same tables,
 * in the same order, and tests compare the two paths row by row.
 *
 * Per accepted line it gives the row's numbers, and the groups of equal values within the call
 * (request shapes, names, URIs), numbered by first occurrence, so that Python works once per
 * distinct value instead of once per event. No state survives a call.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_NUMBER 40

typedef struct {
    const unsigned char *p;
    Py_ssize_t n;
} Span;

/* One line turned into a row: read as numpy's record dtype in linescan.py (72 bytes). */
typedef struct {
    int64_t shapes; /* both shape codes */
    uint32_t name;  /* the name's group in the call */
    uint32_t uri;   /* the URI's code in the TextTable */
    int64_t code, off, len, ts, rx;
    uint64_t id_hi, id_lo;
} Row;

enum { RAW_USER, RAW_IMPERSONATED, RAW_IPS, RAW_AGENT, RAW_GROUP, RAW_VERSION, RAW_RESOURCE,
       RAW_SUB, RAW_NAMESPACE, RAW_COUNT };

/* What makes two events' request shapes equal: the raw JSON text of the client and object
 * fields, the small enumerations, the cluster annotation and whether objectRef is there. */
typedef struct {
    Span raw[RAW_COUNT];
    Span cluster;
    unsigned char verb, stage, level, decision, objref;
} Key;

/* ------------------------------------------------------------------------------------------
 * JSON reading: every function returns 0 when it read a valid value, -1 for anything this
 * scanner does not accept (the line then goes to the Python path).
 */

static unsigned char special[256]; /* 1: a string byte that needs a look (quote, escape,
                                      control, non-ASCII) */

static inline const unsigned char *skip_ws(const unsigned char *p, const unsigned char *e) {
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
    return p;
}

static inline int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A string at *pp (on its opening quote). Leaves *pp after the closing quote; *escaped tells
 * whether it held an escape (its text is then not its bytes). */
static int read_string(const unsigned char **pp, const unsigned char *e, int *escaped) {
    const unsigned char *p = *pp + 1;
    *escaped = 0;
    for (;;) {
        /* eight bytes at a time while none is a quote, an escape, a control or non-ASCII */
        while (e - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
            uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
            uint64_t found = (((quote - ones) & ~quote) | ((slash - ones) & ~slash) |
                              ((w - ones * 0x20) & ~w) | w) & highs;
            if (found) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                /* the lowest flagged byte is a true one (borrows only carry upwards) */
                p += __builtin_ctzll(found) >> 3;
#endif
                break;
            }
            p += 8;
        }
        while (p < e && !special[*p]) p++;
        if (p >= e) return -1;
        unsigned char c = *p;
        if (c == '"') {
            *pp = p + 1;
            return 0;
        }
        if (c == '\\') {
            *escaped = 1;
            if (p + 1 >= e) return -1;
            c = p[1];
            if (c == 'u') {
                if (p + 6 > e) return -1;
                int v = 0;
                for (int i = 2; i < 6; i++) {
                    int h = hex_value(p[i]);
                    if (h < 0) return -1;
                    v = v * 16 + h;
                }
                if (v >= 0xD800 && v <= 0xDFFF) return -1; /* surrogates: left to Python */
                p += 6;
            } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' ||
                       c == 'r' || c == 't') {
                p += 2;
            } else {
                return -1;
            }
            continue;
        }
        if (c < 0x20) return -1;
        /* UTF-8, strictly: no overlong forms, no surrogates, nothing above U+10FFFF */
        if (c >= 0xC2 && c <= 0xDF) {
            if (p + 2 > e || (p[1] & 0xC0) != 0x80) return -1;
            p += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (p + 3 > e || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return -1;
            if (c == 0xE0 && p[1] < 0xA0) return -1;
            if (c == 0xED && p[1] > 0x9F) return -1;
            p += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (p + 4 > e || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
                (p[3] & 0xC0) != 0x80)
                return -1;
            if (c == 0xF0 && p[1] < 0x90) return -1;
            if (c == 0xF4 && p[1] > 0x8F) return -1;
            p += 4;
        } else {
            return -1;
        }
    }
}

/* A string whose text is its bytes (no escape): its content without the quotes. */
static int read_plain_string(const unsigned char **pp, const unsigned char *e, Span *out) {
    if (*pp >= e || **pp != '"') return -1;
    const unsigned char *start = *pp + 1;
    int escaped;
    if (read_string(pp, e, &escaped) < 0 || escaped) return -1;
    out->p = start;
    out->n = (*pp - 1) - start;
    return 0;
}

/* A number: integers and plain fractions only (exponents and very long numbers are left to
 * Python, whose decoders may read them differently). */
static int read_number(const unsigned char **pp, const unsigned char *e, int *integer) {
    const unsigned char *p = *pp, *start = *pp;
    if (p < e && *p == '-') p++;
    if (p >= e) return -1;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < e && *p >= '0' && *p <= '9') p++;
    } else {
        return -1;
    }
    *integer = 1;
    if (p < e && *p == '.') {
        *integer = 0;
        p++;
        if (p >= e || *p < '0' || *p > '9') return -1;
        while (p < e && *p >= '0' && *p <= '9') p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) return -1;
    if (p - start > MAX_NUMBER) return -1;
    *pp = p;
    return 0;
}

static int skip_value(const unsigned char **pp, const unsigned char *e, int depth);

static int skip_container(const unsigned char **pp, const unsigned char *e, int depth) {
    const unsigned char *p = *pp;
    unsigned char close = *p == '{' ? '}' : ']';
    int object = *p == '{';
    if (depth >= MAX_DEPTH) return -1;
    p = skip_ws(p + 1, e);
    if (p < e && *p == close) {
        *pp = p + 1;
        return 0;
    }
    for (;;) {
        if (object) {
            int escaped;
            if (p >= e || *p != '"' || read_string(&p, e, &escaped) < 0) return -1;
            p = skip_ws(p, e);
            if (p >= e || *p != ':') return -1;
            p = skip_ws(p + 1, e);
        }
        if (skip_value(&p, e, depth + 1) < 0) return -1;
        p = skip_ws(p, e);
        if (p >= e) return -1;
        if (*p == ',') {
            p = skip_ws(p + 1, e);
            continue;
        }
        if (*p != close) return -1;
        *pp = p + 1;
        return 0;
    }
}

static int skip_value(const unsigned char **pp, const unsigned char *e, int depth) {
    const unsigned char *p = *pp;
    if (p >= e) return -1;
    switch (*p) {
    case '"': {
        int escaped;
        return read_string(pp, e, &escaped);
    }
    case '{':
    case '[':
        return skip_container(pp, e, depth);
    case 't':
        if (e - p >= 4 && memcmp(p, "true", 4) == 0) { *pp = p + 4; return 0; }
        return -1;
    case 'f':
        if (e - p >= 5 && memcmp(p, "false", 5) == 0) { *pp = p + 5; return 0; }
        return -1;
    case 'n':
        if (e - p >= 4 && memcmp(p, "null", 4) == 0) { *pp = p + 4; return 0; }
        return -1;
    default: {
        int integer;
        return read_number(pp, e, &integer);
    }
    }
}

/* A value kept as its raw JSON text (msgspec.Raw in schema.py). */
static int read_raw(const unsigned char **pp, const unsigned char *e, Span *out) {
    const unsigned char *start = *pp;
    if (skip_value(pp, e, 1) < 0) return -1;
    out->p = start;
    out->n = *pp - start;
    return 0;
}

/* A string that must be one of ``choices`` (a Literal in schema.py); its index. */
static int read_choice(const unsigned char **pp, const unsigned char *e, const char *const *choices,
                       unsigned char *out) {
    Span text;
    if (read_plain_string(pp, e, &text) < 0) return -1;
    for (int i = 0; choices[i]; i++) {
        if ((Py_ssize_t)strlen(choices[i]) == text.n && memcmp(choices[i], text.p, text.n) == 0) {
            *out = (unsigned char)i;
            return 0;
        }
    }
    return -1;
}

static int read_int64(const unsigned char **pp, const unsigned char *e, int64_t *out) {
    const unsigned char *start = *pp;
    int integer;
    if (read_number(pp, e, &integer) < 0 || !integer) return -1;
    const unsigned char *p = start;
    int negative = *p == '-';
    if (negative) p++;
    if (*pp - p > 18) return -1; /* larger ones: Python range-checks them */
    int64_t value = 0;
    for (; p < *pp; p++) value = value * 10 + (*p - '0');
    *out = negative ? -value : value;
    return 0;
}

static inline int key_is(Span key, const char *name) {
    return (Py_ssize_t)strlen(name) == key.n && memcmp(key.p, name, key.n) == 0;
}

/* An object's next member key, after ``{`` or ``,``: 1 with the key read (and the cursor on
 * its value), 0 at the closing brace, -1 for anything else. Keys with escapes are left to
 * Python (an escaped key may spell a field name). */
static int next_key(const unsigned char **pp, const unsigned char *e, int first, Span *key) {
    const unsigned char *p = skip_ws(*pp, e);
    if (p >= e) return -1;
    if (first) {
        if (*p == '}') { *pp = p + 1; return 0; }
    } else {
        if (*p == '}') { *pp = p + 1; return 0; }
        if (*p != ',') return -1;
        p = skip_ws(p + 1, e);
    }
    if (read_plain_string(&p, e, key) < 0) return -1;
    p = skip_ws(p, e);
    if (p >= e || *p != ':') return -1;
    *pp = skip_ws(p + 1, e);
    return 1;
}

/* ------------------------------------------------------------------------------------------
 * Times and audit IDs in the one layout each that kube-apiserver writes.
 */

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static inline int digits(const unsigned char *p, int count, int *out) {
    int value = 0;
    for (int i = 0; i < count; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        value = value * 10 + (p[i] - '0');
    }
    *out = value;
    return 0;
}

/* ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` as epoch microseconds, with the ranges Python's datetime
 * checks (timestamps.parse_time gives the same number). */
static int micro_time(Span text, int64_t *out) {
    const unsigned char *s = text.p;
    int year, month, day, hour, minute, second, micro;
    if (text.n != 27 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != '.' || s[26] != 'Z')
        return -1;
    if (digits(s, 4, &year) || digits(s + 5, 2, &month) || digits(s + 8, 2, &day) ||
        digits(s + 11, 2, &hour) || digits(s + 14, 2, &minute) || digits(s + 17, 2, &second) ||
        digits(s + 20, 6, &micro))
        return -1;
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59)
        return -1;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int last = month_days[month - 1] + (month == 2 && leap);
    if (day < 1 || day > last) return -1;
    int64_t days = days_from_civil(year, month, day);
    *out = ((days * 86400 + hour * 3600 + minute * 60 + second) * 1000000) + micro;
    return 0;
}

/* A canonical lower-case UUID as two 64-bit halves (store.split_audit_id's form). */
static int audit_id(Span text, uint64_t *hi, uint64_t *lo) {
    if (text.n != 36) return -1;
    uint64_t halves[2] = {0, 0};
    int nibble = 0;
    for (int i = 0; i < 36; i++) {
        unsigned char c = text.p[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return -1;
            continue;
        }
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else return -1;
        halves[nibble / 16] = halves[nibble / 16] << 4 | (uint64_t)v;
        nibble++;
    }
    if (halves[0] == UINT64_MAX) return -1; /* the store's marker of other IDs */
    *hi = halves[0];
    *lo = halves[1];
    return 0;
}

/* A 64-bit hash for the tables below: FNV-1a over 8-byte words, then the tail bytes. */
static inline uint64_t mix(uint64_t h, const unsigned char *p, Py_ssize_t n) {
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    while (n-- > 0) h = (h ^ *p++) * 0x100000001b3ULL;
    return h ^ (h >> 32);
}

static uint64_t key_hash(const Key *k) {
    uint64_t h = 0xcbf29ce484222325ULL ^ (k->verb | k->stage << 8 | k->level << 16 |
                                          (uint64_t)k->decision << 24 | (uint64_t)k->objref << 32);
    for (int i = 0; i < RAW_COUNT; i++)
        h = mix(h * 31 + (uint64_t)k->raw[i].n, k->raw[i].p, k->raw[i].n);
    return mix(h * 31 + (uint64_t)k->cluster.n, k->cluster.p, k->cluster.n);
}

static inline uint64_t text_hash(Span text) {
    return mix(0xcbf29ce484222325ULL, text.p, text.n);
}

/* ------------------------------------------------------------------------------------------
 * One line.
 */

static const char *const LEVELS[] = {"", "None", "Metadata", "Request", "RequestResponse", NULL};
static const char *const STAGES[] = {"", "RequestReceived", "ResponseStarted", "ResponseComplete",
                                     "Panic", NULL};
static const char *const VERBS[] = {"", "get", "list", "watch", "create", "update", "patch",
                                    "delete", "deletecollection", "proxy", "post", "put", "head",
                                    "options", "connect", NULL};
static const char *const DECISIONS[] = {"", "allow", "forbid", NULL};
static const char *const KINDS[] = {"Event", NULL};
static const char *const VERSIONS[] = {"audit.k8s.io/v1", "audit.k8s.io/v1beta1",
                                       "audit.k8s.io/v1alpha1", NULL};

enum {
    SEEN_KIND = 1 << 0, SEEN_VERSION = 1 << 1, SEEN_LEVEL = 1 << 2, SEEN_ID = 1 << 3,
    SEEN_STAGE = 1 << 4, SEEN_URI = 1 << 5, SEEN_VERB = 1 << 6, SEEN_USER = 1 << 7,
    SEEN_IMPERSONATED = 1 << 8, SEEN_IPS = 1 << 9, SEEN_AGENT = 1 << 10, SEEN_REF = 1 << 11,
    SEEN_STATUS = 1 << 12, SEEN_RECEIVED = 1 << 13, SEEN_STAGE_TIME = 1 << 14,
    SEEN_ANNOTATIONS = 1 << 15,
};

typedef struct {
    Key key;
    Span name, uri;
    int64_t code, ts, rx, off, len;
    uint64_t id_hi, id_lo;
    uint64_t key_hash, name_hash, uri_hash; /* worked out while parsing (no GIL needed) */
} Parsed;

static int read_object_ref(const unsigned char **pp, const unsigned char *e, Parsed *out) {
    if (*pp >= e || **pp != '{') return -1;
    const unsigned char *p = *pp + 1;
    unsigned seen = 0;
    Span key;
    int more;
    for (int first = 1; (more = next_key(&p, e, first, &key)) == 1; first = 0) {
        int slot = -1;
        unsigned bit = 0;
        if (key_is(key, "resource")) slot = RAW_RESOURCE, bit = 1;
        else if (key_is(key, "namespace")) slot = RAW_NAMESPACE, bit = 2;
        else if (key_is(key, "apiGroup")) slot = RAW_GROUP, bit = 4;
        else if (key_is(key, "apiVersion")) slot = RAW_VERSION, bit = 8;
        else if (key_is(key, "subresource")) slot = RAW_SUB, bit = 16;
        else if (key_is(key, "name")) {
            if (seen & 32) return -1;
            seen |= 32;
            if (read_plain_string(&p, e, &out->name) < 0) return -1;
            continue;
        } else {
            if (skip_value(&p, e, 2) < 0) return -1;
            continue;
        }
        if (seen & bit) return -1; /* duplicate field: left to Python */
        seen |= bit;
        if (read_raw(&p, e, &out->key.raw[slot]) < 0) return -1;
    }
    if (more < 0) return -1;
    *pp = p;
    out->key.objref = 1;
    return 0;
}

static int read_status(const unsigned char **pp, const unsigned char *e, Parsed *out) {
    if (*pp >= e || **pp != '{') return -1;
    const unsigned char *p = *pp + 1;
    int seen = 0, more;
    Span key;
    for (int first = 1; (more = next_key(&p, e, first, &key)) == 1; first = 0) {
        if (key_is(key, "code")) {
            if (seen++) return -1;
            if (read_int64(&p, e, &out->code) < 0) return -1;
        } else if (skip_value(&p, e, 2) < 0) {
            return -1;
        }
    }
    if (more < 0) return -1;
    *pp = p;
    return 0;
}

static int read_annotations(const unsigned char **pp, const unsigned char *e, Parsed *out) {
    if (*pp >= e || **pp != '{') return -1;
    const unsigned char *p = *pp + 1;
    int seen_decision = 0, seen_cluster = 0, more;
    Span key;
    for (int first = 1; (more = next_key(&p, e, first, &key)) == 1; first = 0) {
        if (key_is(key, "authorization.k8s.io/decision")) {
            if (seen_decision++) return -1;
            if (read_choice(&p, e, DECISIONS, &out->key.decision) < 0) return -1;
        } else if (key_is(key, "cluster_name")) {
            if (seen_cluster++) return -1;
            if (read_plain_string(&p, e, &out->key.cluster) < 0) return -1;
        } else if (skip_value(&p, e, 2) < 0) {
            return -1;
        }
    }
    if (more < 0) return -1;
    *pp = p;
    return 0;
}

/* The line [p, e): 0 with ``out`` filled if it is an event this scanner accepts. */
static int read_event(const unsigned char *p, const unsigned char *e, Parsed *out) {
    memset(out, 0, sizeof *out);
    p = skip_ws(p, e);
    if (p >= e || *p != '{') return -1;
    p++;
    unsigned seen = 0;
    Span key, text;
    int more;
    unsigned char choice;
    for (int first = 1; (more = next_key(&p, e, first, &key)) == 1; first = 0) {
        unsigned bit = 0;
        int status = 0;
        switch (key.n) {
        case 4:
            if (key_is(key, "kind")) bit = SEEN_KIND, status = read_choice(&p, e, KINDS, &choice);
            else if (key_is(key, "verb")) bit = SEEN_VERB, status = read_choice(&p, e, VERBS, &out->key.verb);
            else if (key_is(key, "user")) bit = SEEN_USER, status = read_raw(&p, e, &out->key.raw[RAW_USER]);
            break;
        case 5:
            if (key_is(key, "level")) bit = SEEN_LEVEL, status = read_choice(&p, e, LEVELS, &out->key.level);
            else if (key_is(key, "stage")) bit = SEEN_STAGE, status = read_choice(&p, e, STAGES, &out->key.stage);
            break;
        case 7:
            if (key_is(key, "auditID")) {
                bit = SEEN_ID;
                status = read_plain_string(&p, e, &text);
                if (status == 0) status = audit_id(text, &out->id_hi, &out->id_lo);
            }
            break;
        case 8:
            if (key_is(key, "metadata")) return -1; /* v1beta1's creation time: Python */
            break;
        case 9:
            if (key_is(key, "sourceIPs")) bit = SEEN_IPS, status = read_raw(&p, e, &out->key.raw[RAW_IPS]);
            else if (key_is(key, "objectRef")) bit = SEEN_REF, status = read_object_ref(&p, e, out);
            else if (key_is(key, "userAgent")) bit = SEEN_AGENT, status = read_raw(&p, e, &out->key.raw[RAW_AGENT]);
            else if (key_is(key, "timestamp")) return -1; /* v1alpha1's own time: Python */
            break;
        case 10:
            if (key_is(key, "apiVersion")) bit = SEEN_VERSION, status = read_choice(&p, e, VERSIONS, &choice);
            else if (key_is(key, "requestURI")) bit = SEEN_URI, status = read_plain_string(&p, e, &out->uri);
            break;
        case 11:
            if (key_is(key, "annotations")) bit = SEEN_ANNOTATIONS, status = read_annotations(&p, e, out);
            break;
        case 14:
            if (key_is(key, "responseStatus")) bit = SEEN_STATUS, status = read_status(&p, e, out);
            else if (key_is(key, "stageTimestamp")) {
                bit = SEEN_STAGE_TIME;
                status = read_plain_string(&p, e, &text);
                if (status == 0) status = micro_time(text, &out->ts);
            }
            break;
        case 16:
            if (key_is(key, "impersonatedUser")) bit = SEEN_IMPERSONATED, status = read_raw(&p, e, &out->key.raw[RAW_IMPERSONATED]);
            break;
        case 24:
            if (key_is(key, "requestReceivedTimestamp")) {
                bit = SEEN_RECEIVED;
                status = read_plain_string(&p, e, &text);
                if (status == 0) status = micro_time(text, &out->rx);
            }
            break;
        }
        if (!bit) {
            status = skip_value(&p, e, 1);
        } else if (seen & bit) {
            return -1; /* a field given twice: left to Python */
        }
        if (status < 0) return -1;
        seen |= bit;
    }
    if (more < 0) return -1;
    if (skip_ws(p, e) != e) return -1;
    const unsigned needed = SEEN_KIND | SEEN_VERSION | SEEN_ID | SEEN_STAGE_TIME | SEEN_RECEIVED;
    return (seen & needed) == needed ? 0 : -1;
}

/* ------------------------------------------------------------------------------------------
 * Hash tables: open addressing over 64-bit hashes, entries compared in full.
 */

typedef struct {
    uint32_t *slots; /* entry + 1, 0 = empty */
    uint64_t *hashes;
    Py_ssize_t size, count;
} Table;

static int table_init(Table *t, Py_ssize_t size) {
    t->size = size;
    t->count = 0;
    t->slots = PyMem_Calloc(size, sizeof(uint32_t));
    t->hashes = PyMem_Calloc(size, sizeof(uint64_t));
    return t->slots && t->hashes ? 0 : -1;
}

static void table_free(Table *t) {
    PyMem_Free(t->slots);
    PyMem_Free(t->hashes);
    t->slots = NULL;
    t->hashes = NULL;
}

/* The slot of ``h`` whose entry ``same`` accepts, or the empty slot where it would go. */
#define TABLE_FIND(t, h, slot, same)                                   \
    do {                                                               \
        slot = (Py_ssize_t)((h) & ((t)->size - 1));                    \
        while ((t)->slots[slot]) {                                     \
            uint32_t entry = (t)->slots[slot] - 1; (void)entry;        \
            if ((t)->hashes[slot] == (h) && (same)) break;             \
            slot = (slot + 1) & ((t)->size - 1);                       \
        }                                                              \
    } while (0)

#define TOMBSTONE UINT32_MAX /* a slot whose entry was removed (TextTable only) */

/* Rebuild ``t`` with ``size`` slots, leaving removed entries behind (``count``: the slots
 * then used). */
static int table_resize(Table *t, Py_ssize_t size) {
    Table bigger;
    if (table_init(&bigger, size) < 0) {
        table_free(&bigger);
        return -1;
    }
    for (Py_ssize_t i = 0; i < t->size; i++) {
        uint32_t entry = t->slots[i];
        if (!entry || entry == TOMBSTONE) continue;
        Py_ssize_t j = (Py_ssize_t)(t->hashes[i] & (size - 1));
        while (bigger.slots[j]) j = (j + 1) & (size - 1);
        bigger.slots[j] = entry;
        bigger.hashes[j] = t->hashes[i];
        bigger.count++;
    }
    table_free(t);
    *t = bigger;
    return 0;
}

/* Put entry ``entry`` into the empty ``slot``; grows the table past half full. */
static int table_put(Table *t, Py_ssize_t slot, uint64_t h, Py_ssize_t entry) {
    t->slots[slot] = (uint32_t)(entry + 1);
    t->hashes[slot] = h;
    if (++t->count * 2 <= t->size) return 0;
    return table_resize(t, t->size * 2);
}

/* For types that take no arguments: 0, or -1 with the TypeError set. */
static int no_arguments(const char *name, PyObject *args, PyObject *kwargs) {
    if (PyTuple_GET_SIZE(args) || (kwargs && PyDict_GET_SIZE(kwargs))) {
        PyErr_Format(PyExc_TypeError, "%s() takes no arguments", name);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Values grouped within one call (object names, request URIs), numbered by first occurrence.
 */

typedef struct {
    Table table;
    Span *values;
    Py_ssize_t capacity;
} Groups;

static int groups_init(Groups *g) {
    g->capacity = 256;
    g->values = PyMem_Malloc(sizeof(Span) * g->capacity);
    return g->values && table_init(&g->table, 512) == 0 ? 0 : -1;
}

static void groups_reset(Groups *g) {
    memset(g->table.slots, 0, sizeof(uint32_t) * g->table.size);
    g->table.count = 0;
}

static void groups_free(Groups *g) {
    PyMem_Free(g->values);
    table_free(&g->table);
}

static Py_ssize_t group_of(Groups *g, Span value, uint64_t h) {
    Py_ssize_t slot;
    TABLE_FIND(&g->table, h, slot,
               g->values[entry].n == value.n &&
                   (value.n == 0 || memcmp(g->values[entry].p, value.p, value.n) == 0));
    if (g->table.slots[slot]) return g->table.slots[slot] - 1;
    Py_ssize_t group = g->table.count;
    if (group == g->capacity) {
        Span *more = PyMem_Realloc(g->values, sizeof(Span) * g->capacity * 2);
        if (!more) return -1;
        g->values = more;
        g->capacity *= 2;
    }
    g->values[group] = value;
    return table_put(&g->table, slot, h, group) < 0 ? -1 : group;
}

static PyObject *group_texts(const Groups *g) {
    PyObject *list = PyList_New(g->table.count);
    if (!list) return NULL;
    for (Py_ssize_t i = 0; i < g->table.count; i++) {
        PyObject *text = PyUnicode_DecodeUTF8((const char *)g->values[i].p, g->values[i].n, "strict");
        if (!text) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, text);
    }
    return list;
}

/* ------------------------------------------------------------------------------------------
 * Reading lines (``parse``), with the GIL released: any number of threads may parse parts
 * of a batch at once. What they read waits in a ``Lines`` object for ``Scanner.scan``.
 */

typedef struct {
    PyObject_HEAD
    Py_buffer view; /* keeps the data the spans point into */
    Parsed *lines;
    Py_ssize_t count, capacity, stop;
} Lines;

/* Line buffers kept for reuse (fresh memory costs page faults on every call); taken and given
 * back with the GIL held. */
#define POOL 4
static struct { Parsed *lines; Py_ssize_t capacity; } pool[POOL];

static void Lines_dealloc(Lines *self) {
    int kept = 0;
    for (int i = 0; i < POOL && !kept && self->lines; i++) {
        if (!pool[i].lines) {
            pool[i].lines = self->lines;
            pool[i].capacity = self->capacity;
            kept = 1;
        }
    }
    if (!kept) PyMem_RawFree(self->lines);
    if (self->view.obj) PyBuffer_Release(&self->view);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Lines_stop(Lines *self, void *closure) {
    (void)closure;
    return PyLong_FromSsize_t(self->stop);
}

static PyObject *Lines_count(Lines *self, void *closure) {
    (void)closure;
    return PyLong_FromSsize_t(self->count);
}

static PyGetSetDef Lines_getset[] = {
    {"stop", (getter)Lines_stop, NULL, "Where the first line not read begins.", NULL},
    {"count", (getter)Lines_count, NULL, "How many lines were read.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject LinesType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "kaudit_tui.core._linescan.Lines",
    .tp_basicsize = sizeof(Lines),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Event lines read by parse(), waiting for Scanner.scan().",
    .tp_dealloc = (destructor)Lines_dealloc,
    .tp_getset = Lines_getset,
};

PyDoc_STRVAR(parse_doc,
"parse(data, start, end, /) -> Lines\n\n"
"Read the event lines of ``data[start:end]`` (``start`` where a line begins, ``end`` after a\n"
"newline or at the end of ``data``) up to the first line left to Python; the result's\n"
"``stop`` is where that line begins (``end`` when every line was read). Runs without the\n"
"GIL.");

static PyObject *parse(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "parse(data, start, end) takes three arguments");
        return NULL;
    }
    Lines *self = PyObject_New(Lines, &LinesType);
    if (!self) return NULL;
    self->view.obj = NULL;
    self->lines = NULL;
    self->count = self->capacity = self->stop = 0;
    for (int i = POOL - 1; i >= 0; i--) {
        if (pool[i].lines) {
            self->lines = pool[i].lines;
            self->capacity = pool[i].capacity;
            pool[i].lines = NULL;
            break;
        }
    }
    if (PyObject_GetBuffer(args[0], &self->view, PyBUF_SIMPLE) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    Py_ssize_t start = PyLong_AsSsize_t(args[1]), stop = PyLong_AsSsize_t(args[2]);
    if ((start == -1 || stop == -1) && PyErr_Occurred()) {
        Py_DECREF(self);
        return NULL;
    }
    Py_ssize_t size = self->view.len;
    start = start < 0 ? 0 : start > size ? size : start;
    stop = stop < start ? start : stop > size ? size : stop;
    const unsigned char *base = self->view.buf, *end = base + stop, *line = base + start;
    int ok = 1;
    Py_BEGIN_ALLOW_THREADS
    while (line < end) {
        const unsigned char *newline = memchr(line, '\n', end - line);
        const unsigned char *last = newline ? newline : end;
        if (self->count == self->capacity) {
            Py_ssize_t capacity = self->capacity ? self->capacity * 2 : 1024;
            Parsed *more = PyMem_RawRealloc(self->lines, sizeof(Parsed) * capacity);
            if (!more) { ok = 0; break; }
            self->lines = more;
            self->capacity = capacity;
        }
        Parsed *parsed = &self->lines[self->count];
        if (last == line || last[-1] == '\r' || read_event(line, last, parsed) < 0) break;
        parsed->off = line - base;
        parsed->len = last - line;
        parsed->key_hash = key_hash(&parsed->key);
        parsed->name_hash = text_hash(parsed->name);
        parsed->uri_hash = text_hash(parsed->uri);
        self->count++;
        line = newline ? newline + 1 : end;
    }
    Py_END_ALLOW_THREADS
    if (!ok) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->stop = line - base;
    return (PyObject *)self;
}

/* ------------------------------------------------------------------------------------------
 * TextTable: distinct texts (request URIs) and their codes, as UTF-8 in large blocks.
 *
 * It gives codes exactly as tables.InternTable does (code 0 is "", new texts in order of first
 * sight, released codes given out again last-released first, every reuse logged), for about a
 * third of the memory: no Python object per text. The scanner codes URIs here directly.
 */

#define BLOCK (256 * 1024) /* texts are kept in blocks of this size (a longer one alone) */

typedef struct {
    PyObject_HEAD
    char **blocks;
    Py_ssize_t block_count, block_capacity, fill; /* fill: bytes used in the last block */
    Py_ssize_t block_bytes, live, garbage;         /* bytes in blocks, of texts, released */
    char **starts;
    uint32_t *lengths; /* 0: "" (code 0) or released */
    Py_ssize_t count, capacity;
    Table index; /* code + 1 by hash; a released text's slot is a TOMBSTONE; ``count``: slots
                    not empty, tombstones included */
    uint32_t *free;
    Py_ssize_t free_count, free_capacity;
    uint32_t *log;
    Py_ssize_t log_count, log_capacity, log_base;
} TextTable;

static PyTypeObject TextTableType;

static int grow(void **array, Py_ssize_t *capacity, Py_ssize_t needed, size_t item) {
    if (needed <= *capacity) return 0;
    Py_ssize_t bigger = *capacity ? *capacity : 64;
    while (bigger < needed) bigger *= 2;
    void *more = PyMem_Realloc(*array, item * bigger);
    if (!more) return -1;
    *array = more;
    *capacity = bigger;
    return 0;
}

/* The slot holding ``text`` (its code is slots[slot] - 1), or -1 with *empty the slot where
 * it would go. */
static Py_ssize_t texts_find(const TextTable *t, const char *text, Py_ssize_t n, uint64_t h,
                             Py_ssize_t *empty) {
    const Table *index = &t->index;
    Py_ssize_t j = (Py_ssize_t)(h & (index->size - 1));
    for (;; j = (j + 1) & (index->size - 1)) {
        uint32_t entry = index->slots[j];
        if (!entry) {
            *empty = j;
            return -1;
        }
        if (entry == TOMBSTONE || index->hashes[j] != h) continue;
        uint32_t code = entry - 1;
        if (t->lengths[code] == n && memcmp(t->starts[code], text, n) == 0) return j;
    }
}

static Py_ssize_t texts_lookup(const TextTable *t, const char *text, Py_ssize_t n, uint64_t h) {
    if (n == 0) return 0;
    Py_ssize_t empty, slot = texts_find(t, text, n, h, &empty);
    return slot < 0 ? -1 : (Py_ssize_t)t->index.slots[slot] - 1;
}

/* Room for ``n`` more bytes of text: the end of the last block, or a new block. */
static char *texts_room(TextTable *t, Py_ssize_t n) {
    if (t->block_count && t->fill + n <= BLOCK) {
        char *at = t->blocks[t->block_count - 1] + t->fill;
        t->fill += n;
        return at;
    }
    Py_ssize_t size = n > BLOCK ? n : BLOCK;
    if (grow((void **)&t->blocks, &t->block_capacity, t->block_count + 1, sizeof(char *)) < 0)
        return NULL;
    char *block = PyMem_Malloc(size);
    if (!block) return NULL;
    /* a long text gets a block of its own, placed before the last one, which stays open */
    if (n > BLOCK && t->block_count) {
        t->blocks[t->block_count] = t->blocks[t->block_count - 1];
        t->blocks[t->block_count - 1] = block;
        t->block_count++;
        t->block_bytes += size;
        return block;
    }
    t->blocks[t->block_count++] = block;
    t->block_bytes += size;
    t->fill = n;
    return block;
}

/* The code of ``text`` (hash ``h``), given one if it is new; -1 when out of memory. */
static Py_ssize_t texts_code(TextTable *t, const char *text, Py_ssize_t n, uint64_t h) {
    if (n == 0) return 0;
    Py_ssize_t empty, slot = texts_find(t, text, n, h, &empty);
    if (slot >= 0) return (Py_ssize_t)t->index.slots[slot] - 1;
    if (n > UINT32_MAX - 1) return -1;
    Py_ssize_t code;
    int reused = t->free_count > 0;
    if (reused) {
        code = t->free[t->free_count - 1];
    } else {
        code = t->count;
        if (grow((void **)&t->starts, &t->capacity, code + 1, sizeof(char *)) < 0) return -1;
        Py_ssize_t capacity = t->capacity;
        uint32_t *lengths = PyMem_Realloc(t->lengths, sizeof(uint32_t) * capacity);
        if (!lengths) return -1;
        t->lengths = lengths;
    }
    if (reused && grow((void **)&t->log, &t->log_capacity, t->log_count + 1, sizeof(uint32_t)) < 0)
        return -1;
    char *room = texts_room(t, n);
    if (!room) return -1;
    memcpy(room, text, n);
    t->starts[code] = room;
    t->lengths[code] = (uint32_t)n;
    t->live += n;
    if (reused) {
        t->free_count--;
        t->log[t->log_count++] = (uint32_t)code;
    } else {
        t->count++;
    }
    Table *index = &t->index;
    index->slots[empty] = (uint32_t)code + 1;
    index->hashes[empty] = h;
    if (++index->count * 10 > index->size * 7 && table_resize(index, index->size * 2) < 0)
        return -1;
    return code;
}

/* A text argument as UTF-8 (lone surrogates, which only hand-made text has, kept as such). */
static const char *utf8_of(PyObject *text, Py_ssize_t *n, PyObject **keep) {
    *keep = NULL;
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "a TextTable holds str, not %.100s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, n);
    if (utf8) return utf8;
    PyErr_Clear();
    *keep = PyUnicode_AsEncodedString(text, "utf-8", "surrogatepass");
    if (!*keep) return NULL;
    *n = PyBytes_GET_SIZE(*keep);
    return PyBytes_AS_STRING(*keep);
}

static PyObject *text_at(const TextTable *t, Py_ssize_t code) {
    return PyUnicode_DecodeUTF8(t->starts[code], t->lengths[code], "surrogatepass");
}

static PyObject *TextTable_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    if (no_arguments("TextTable", args, kwargs) < 0) return NULL;
    TextTable *t = (TextTable *)type->tp_alloc(type, 0);
    if (!t) return NULL;
    if (table_init(&t->index, 1024) < 0 || grow((void **)&t->starts, &t->capacity, 1, sizeof(char *)) < 0 ||
        !(t->lengths = PyMem_Malloc(sizeof(uint32_t) * t->capacity))) {
        Py_DECREF(t);
        return PyErr_NoMemory();
    }
    t->starts[0] = NULL;
    t->lengths[0] = 0; /* code 0: "" */
    t->count = 1;
    return (PyObject *)t;
}

static void TextTable_dealloc(TextTable *t) {
    for (Py_ssize_t i = 0; i < t->block_count; i++) PyMem_Free(t->blocks[i]);
    PyMem_Free(t->blocks);
    PyMem_Free(t->starts);
    PyMem_Free(t->lengths);
    table_free(&t->index);
    PyMem_Free(t->free);
    PyMem_Free(t->log);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static Py_ssize_t TextTable_length(TextTable *t) { return t->count; }

static PyObject *TextTable_item(TextTable *t, Py_ssize_t code) {
    if (code < 0 || code >= t->count) {
        PyErr_SetString(PyExc_IndexError, "TextTable code out of range");
        return NULL;
    }
    return text_at(t, code);
}

static PyObject *TextTable_subscript(TextTable *t, PyObject *key) {
    if (PySlice_Check(key)) {
        Py_ssize_t start, stop, step;
        if (PySlice_Unpack(key, &start, &stop, &step) < 0) return NULL;
        Py_ssize_t length = PySlice_AdjustIndices(t->count, &start, &stop, step);
        PyObject *list = PyList_New(length);
        if (!list) return NULL;
        for (Py_ssize_t i = 0, code = start; i < length; i++, code += step) {
            PyObject *text = text_at(t, code);
            if (!text) {
                Py_DECREF(list);
                return NULL;
            }
            PyList_SET_ITEM(list, i, text);
        }
        return list;
    }
    Py_ssize_t code = PyNumber_AsSsize_t(key, PyExc_IndexError);
    if (code == -1 && PyErr_Occurred()) return NULL;
    if (code < 0) code += t->count;
    return TextTable_item(t, code);
}

static PyObject *TextTable_code(TextTable *t, PyObject *text) {
    Py_ssize_t n;
    PyObject *keep;
    const char *utf8 = utf8_of(text, &n, &keep);
    if (!utf8) return NULL;
    Py_ssize_t code = texts_code(t, utf8, n, text_hash((Span){(const unsigned char *)utf8, n}));
    Py_XDECREF(keep);
    return code < 0 ? PyErr_NoMemory() : PyLong_FromSsize_t(code);
}

static PyObject *TextTable_get(TextTable *t, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "get(text, default=None)");
        return NULL;
    }
    if (!PyUnicode_Check(args[0])) return Py_NewRef(nargs == 2 ? args[1] : Py_None);
    Py_ssize_t n;
    PyObject *keep;
    const char *utf8 = utf8_of(args[0], &n, &keep);
    if (!utf8) return NULL;
    Py_ssize_t code = texts_lookup(t, utf8, n, text_hash((Span){(const unsigned char *)utf8, n}));
    Py_XDECREF(keep);
    if (code >= 0) return PyLong_FromSsize_t(code);
    return Py_NewRef(nargs == 2 ? args[1] : Py_None);
}

static PyObject *TextTable_codes(TextTable *t, PyObject *texts) {
    PyObject *seq = PySequence_Fast(texts, "codes() takes a sequence of str");
    if (!seq) return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    PyObject *list = PyList_New(count);
    for (Py_ssize_t i = 0; list && i < count; i++) {
        PyObject *code = TextTable_code(t, PySequence_Fast_GET_ITEM(seq, i));
        if (!code) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, code);
    }
    Py_DECREF(seq);
    return list;
}

/* Copy the live texts into new blocks, leaving the released ones behind. */
static int texts_compact(TextTable *t) {
    TextTable fresh = {0};
    for (Py_ssize_t code = 0; code < t->count; code++) {
        Py_ssize_t n = t->lengths[code];
        if (!n) continue;
        char *room = texts_room(&fresh, n);
        if (!room) {
            for (Py_ssize_t i = 0; i < fresh.block_count; i++) PyMem_Free(fresh.blocks[i]);
            PyMem_Free(fresh.blocks);
            return -1;
        }
        memcpy(room, t->starts[code], n);
        t->starts[code] = room;
    }
    for (Py_ssize_t i = 0; i < t->block_count; i++) PyMem_Free(t->blocks[i]);
    PyMem_Free(t->blocks);
    t->blocks = fresh.blocks;
    t->block_count = fresh.block_count;
    t->block_capacity = fresh.block_capacity;
    t->block_bytes = fresh.block_bytes;
    t->fill = fresh.fill;
    t->garbage = 0;
    return 0;
}

static PyObject *TextTable_release(TextTable *t, PyObject *codes) {
    PyObject *iterator = PyObject_GetIter(codes), *item;
    if (!iterator) return NULL;
    while ((item = PyIter_Next(iterator))) {
        Py_ssize_t code = PyNumber_AsSsize_t(item, PyExc_OverflowError);
        Py_DECREF(item);
        if (code == -1 && PyErr_Occurred()) break;
        if (code <= 0 || code >= t->count || t->lengths[code] == 0) continue; /* already free */
        const char *text = t->starts[code];
        Py_ssize_t n = t->lengths[code], empty;
        Py_ssize_t slot = texts_find(t, text, n, text_hash((Span){(const unsigned char *)text, n}),
                                     &empty);
        if (slot >= 0) t->index.slots[slot] = TOMBSTONE;
        if (grow((void **)&t->free, &t->free_capacity, t->free_count + 1, sizeof(uint32_t)) < 0) {
            PyErr_NoMemory();
            break;
        }
        t->free[t->free_count++] = (uint32_t)code;
        t->garbage += n;
        t->live -= n;
        t->lengths[code] = 0;
        t->starts[code] = NULL;
    }
    Py_DECREF(iterator);
    if (PyErr_Occurred()) return NULL;
    if (t->log_count > 2 * t->count) { /* keep the log about as long as the table */
        Py_ssize_t drop = t->log_count / 2;
        memmove(t->log, t->log + drop, sizeof(uint32_t) * (t->log_count - drop));
        t->log_count -= drop;
        t->log_base += drop;
    }
    if (t->garbage > 4 * BLOCK && t->garbage > t->live && texts_compact(t) < 0)
        return PyErr_NoMemory();
    if ((t->index.count - (t->count - t->free_count)) * 4 > t->index.size &&
        table_resize(&t->index, t->index.size) < 0)
        return PyErr_NoMemory(); /* mostly tombstones: probes would get long */
    Py_RETURN_NONE;
}

static PyObject *TextTable_reused_since(TextTable *t, PyObject *arg) {
    Py_ssize_t epoch = PyNumber_AsSsize_t(arg, PyExc_OverflowError);
    if (epoch == -1 && PyErr_Occurred()) return NULL;
    if (epoch < t->log_base) Py_RETURN_NONE;
    Py_ssize_t from = epoch - t->log_base;
    if (from > t->log_count) from = t->log_count;
    PyObject *list = PyList_New(t->log_count - from);
    for (Py_ssize_t i = from; list && i < t->log_count; i++) {
        PyObject *code = PyLong_FromUnsignedLong(t->log[i]);
        if (!code) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i - from, code);
    }
    return list;
}

static PyObject *TextTable_epoch(TextTable *t, void *closure) {
    (void)closure;
    return PyLong_FromSsize_t(t->log_base + t->log_count);
}

static PyObject *TextTable_next_code(TextTable *t, void *closure) {
    (void)closure;
    return PyLong_FromSsize_t(t->free_count ? t->free[t->free_count - 1] : t->count);
}

static PyObject *TextTable_nbytes(TextTable *t, void *closure) {
    (void)closure;
    return PyLong_FromSsize_t(t->block_bytes + t->capacity * (sizeof(char *) + sizeof(uint32_t)) +
                              t->index.size * (sizeof(uint32_t) + sizeof(uint64_t)));
}

static PyMethodDef TextTable_methods[] = {
    {"code", (PyCFunction)TextTable_code, METH_O,
     "code(text) -> int: the code of ``text``, given one if it is new."},
    {"get", (PyCFunction)(void (*)(void))TextTable_get, METH_FASTCALL,
     "get(text, default=None): the code of ``text`` if it has one."},
    {"codes", (PyCFunction)TextTable_codes, METH_O,
     "codes(texts) -> list[int]: ``code`` of each, in order."},
    {"release", (PyCFunction)TextTable_release, METH_O,
     "release(codes): forget the texts of ``codes`` (no row uses them); the codes are reused."},
    {"reused_since", (PyCFunction)TextTable_reused_since, METH_O,
     "reused_since(epoch) -> list[int] | None: codes given new texts since ``epoch``."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef TextTable_getset[] = {
    {"epoch", (getter)TextTable_epoch, NULL, "How many times a code was given a new text.", NULL},
    {"next_code", (getter)TextTable_next_code, NULL, "The code the next new text gets.", NULL},
    {"nbytes", (getter)TextTable_nbytes, NULL, "Memory held, in bytes.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods TextTable_sequence = {
    .sq_length = (lenfunc)TextTable_length,
    .sq_item = (ssizeargfunc)TextTable_item,
};

static PyMappingMethods TextTable_mapping = {
    .mp_length = (lenfunc)TextTable_length,
    .mp_subscript = (binaryfunc)TextTable_subscript,
};

static PyTypeObject TextTableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "kaudit_tui.core._linescan.TextTable",
    .tp_basicsize = sizeof(TextTable),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Distinct texts and their codes, as UTF-8 in large blocks (see texts.py).",
    .tp_new = TextTable_new,
    .tp_dealloc = (destructor)TextTable_dealloc,
    .tp_methods = TextTable_methods,
    .tp_getset = TextTable_getset,
    .tp_as_sequence = &TextTable_sequence,
    .tp_as_mapping = &TextTable_mapping,
};

/* ------------------------------------------------------------------------------------------
 * The scanner: what ``parse`` read turned into rows, with the request-shape keys it has been
 * told the codes of kept across calls.
 *
 * A key is the raw JSON text of the client and object fields and the cluster annotation,
 * joined by NUL (which JSON text never holds), then the enumerations: the bytes that tell two
 * events' shapes apart, as the Python path's key tuple does.
 */

#define MAX_KNOWN 32768 /* keys remembered before the scanner starts over, as ingest.py's cache */
#define FAILS (-1)      /* the key's fields have the wrong types: its lines are Python's */

typedef struct {
    unsigned char *bytes;
    Py_ssize_t n;
    int64_t codes;
} Known;

typedef struct {
    PyObject_HEAD
    Table table;
    Known *known;
    Py_ssize_t capacity;
    /* working memory of a call, kept (fresh memory costs page faults on every call) */
    Row *rows;
    Py_ssize_t rows_capacity;
    Groups names;
} Scanner;

static void forget_all(Scanner *self) {
    for (Py_ssize_t i = 0; i < self->table.count; i++) PyMem_Free(self->known[i].bytes);
    memset(self->table.slots, 0, sizeof(uint32_t) * self->table.size);
    self->table.count = 0;
}

static Py_ssize_t key_size(const Key *k) {
    Py_ssize_t size = RAW_COUNT + 1 + 5 + k->cluster.n;
    for (int i = 0; i < RAW_COUNT; i++) size += k->raw[i].n;
    return size;
}

static void key_write(const Key *k, unsigned char *w) {
    for (int i = 0; i < RAW_COUNT; i++) {
        if (k->raw[i].n) memcpy(w, k->raw[i].p, k->raw[i].n);
        w += k->raw[i].n;
        *w++ = 0;
    }
    if (k->cluster.n) memcpy(w, k->cluster.p, k->cluster.n);
    w += k->cluster.n;
    *w++ = 0;
    *w++ = k->verb;
    *w++ = k->stage;
    *w++ = k->level;
    *w++ = k->decision;
    *w++ = k->objref;
}

/* Do ``bytes`` (as key_write writes them) hold key ``k``? */
static int key_matches(const Key *k, const unsigned char *bytes, Py_ssize_t n) {
    if (n != key_size(k)) return 0;
    for (int i = 0; i < RAW_COUNT; i++) {
        Py_ssize_t size = k->raw[i].n;
        if (size && memcmp(bytes, k->raw[i].p, size) != 0) return 0;
        bytes += size + 1;
    }
    if (k->cluster.n && memcmp(bytes, k->cluster.p, k->cluster.n) != 0) return 0;
    bytes += k->cluster.n + 1;
    return bytes[0] == k->verb && bytes[1] == k->stage && bytes[2] == k->level &&
           bytes[3] == k->decision && bytes[4] == k->objref;
}

/* Both shape codes of the event on ``line``: remembered, or asked of ``shape_codes`` (and then
 * remembered) the first time its key is seen. FAILS for a key whose event is Python's; -2 with
 * an exception set. */
static int64_t shapes_of(Scanner *self, const Parsed *parsed, const unsigned char *base,
                         PyObject *shape_codes) {
    const Key *k = &parsed->key;
    uint64_t h = parsed->key_hash;
    Py_ssize_t slot;
    TABLE_FIND(&self->table, h, slot,
               key_matches(k, self->known[entry].bytes, self->known[entry].n));
    if (self->table.slots[slot]) return self->known[self->table.slots[slot] - 1].codes;
    PyObject *line = PyBytes_FromStringAndSize((const char *)base + parsed->off, parsed->len);
    if (!line) return -2;
    PyObject *found = PyObject_CallOneArg(shape_codes, line);
    Py_DECREF(line);
    if (!found) return -2;
    int64_t codes = FAILS;
    if (found != Py_None) {
        codes = PyLong_AsLongLong(found);
        if (codes < 0 && !PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "shape codes are never negative");
    }
    Py_DECREF(found);
    if (PyErr_Occurred()) return -2;
    if (self->table.count >= MAX_KNOWN) {
        forget_all(self);
        TABLE_FIND(&self->table, h, slot, 0);
    }
    Py_ssize_t entry = self->table.count;
    if (grow((void **)&self->known, &self->capacity, entry + 1, sizeof(Known)) < 0) goto memory;
    Py_ssize_t n = key_size(k);
    unsigned char *copy = PyMem_Malloc(n);
    if (!copy) goto memory;
    key_write(k, copy);
    self->known[entry] = (Known){copy, n, codes};
    if (table_put(&self->table, slot, h, entry) < 0) goto memory;
    return codes;
memory:
    PyErr_NoMemory();
    return -2;
}

PyDoc_STRVAR(scan_doc,
"scan(lines, uris, shape_codes, /) -> (stop, rows, names)\n\n"
"Turn what ``parse`` read into rows, in order, up to the first line left to Python (``stop``\n"
"is where it begins; ``lines.stop`` when there is none): one whose shape key\n"
"``shape_codes(line)`` answered None for. ``shape_codes`` is asked once per key it was not\n"
"asked before (its answer is remembered): both shape codes as one int. URIs are coded in the\n"
"TextTable ``uris``. ``rows`` packs one 72-byte record per line; ``names`` are the distinct\n"
"object names of the rows as text, in order of first occurrence (the rows' ``name``).");

static PyObject *Scanner_scan(Scanner *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !Py_IS_TYPE(args[0], &LinesType) || !Py_IS_TYPE(args[1], &TextTableType)) {
        PyErr_SetString(PyExc_TypeError, "scan(lines, uris, shape_codes)");
        return NULL;
    }
    Lines *lines = (Lines *)args[0];
    TextTable *uris = (TextTable *)args[1];
    PyObject *shape_codes = args[2];
    const unsigned char *base = lines->view.buf;
    Py_ssize_t count = 0, stop = lines->stop;
    groups_reset(&self->names);
    if (grow((void **)&self->rows, &self->rows_capacity, lines->count, sizeof(Row)) < 0)
        return PyErr_NoMemory();
    for (; count < lines->count; count++) {
        const Parsed *parsed = &lines->lines[count];
        int64_t shapes = shapes_of(self, parsed, base, shape_codes);
        if (shapes == -2) return NULL;
        if (shapes == FAILS) { /* the Python path reads this line */
            stop = parsed->off;
            break;
        }
        Py_ssize_t name = group_of(&self->names, parsed->name, parsed->name_hash);
        Py_ssize_t uri = texts_code(uris, (const char *)parsed->uri.p, parsed->uri.n,
                                    parsed->uri_hash);
        if (name < 0 || uri < 0) return PyErr_NoMemory();
        Row *row = &self->rows[count];
        row->shapes = shapes;
        row->name = (uint32_t)name;
        row->uri = (uint32_t)uri;
        row->code = parsed->code;
        row->off = parsed->off;
        row->len = parsed->len;
        row->ts = parsed->ts;
        row->rx = parsed->rx;
        row->id_hi = parsed->id_hi;
        row->id_lo = parsed->id_lo;
    }
    PyObject *rows = PyBytes_FromStringAndSize((const char *)self->rows, sizeof(Row) * count);
    PyObject *names = rows ? group_texts(&self->names) : NULL;
    PyObject *result = names ? Py_BuildValue("(nOO)", stop, rows, names) : NULL;
    Py_XDECREF(rows);
    Py_XDECREF(names);
    return result;
}

static PyObject *Scanner_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    if (no_arguments("Scanner", args, kwargs) < 0) return NULL;
    Scanner *self = (Scanner *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    if (table_init(&self->table, 2 * MAX_KNOWN) < 0 || groups_init(&self->names) < 0) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

static void Scanner_dealloc(Scanner *self) {
    if (self->table.slots) forget_all(self);
    table_free(&self->table);
    PyMem_Free(self->known);
    PyMem_Free(self->rows);
    groups_free(&self->names);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Scanner_methods[] = {
    {"scan", (PyCFunction)(void (*)(void))Scanner_scan, METH_FASTCALL, scan_doc},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "kaudit_tui.core._linescan.Scanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Turns parsed event lines into rows for one ingestor, remembering the shape keys "
              "it was told the codes of.",
    .tp_new = Scanner_new,
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_methods = Scanner_methods,
};

static PyMethodDef module_methods[] = {
    {"parse", (PyCFunction)(void (*)(void))parse, METH_FASTCALL, parse_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, .m_name = "_linescan", .m_methods = module_methods,
    .m_doc = "Compact audit Event lines read into row numbers (see linescan.py), and the table "
             "of texts they are coded in (see texts.py).",
    .m_size = -1,
};

static int add_type(PyObject *m, const char *name, PyTypeObject *type) {
    if (PyType_Ready(type) < 0) return -1;
    Py_INCREF(type);
    if (PyModule_AddObject(m, name, (PyObject *)type) < 0) {
        Py_DECREF(type);
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC PyInit__linescan(void) {
    for (int c = 0; c < 256; c++) special[c] = c == '"' || c == '\\' || c < 0x20 || c >= 0x80;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    if (add_type(m, "Lines", &LinesType) < 0 || add_type(m, "TextTable", &TextTableType) < 0 ||
        add_type(m, "Scanner", &ScannerType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
