/*
 * tagmap.c — the Last.fm tag → audio feature table and the weighted mean
 * over a track's tags (rules in tagmap.h, table rendered in docs/score.md).
 *
 * Genre rows hold typical values of the genre's tracks; mood rows hold the
 * energy and valence (and what else the word says) a listener means by the
 * tag. Rows are sorted by tag (byte order) for bsearch; tags are normalised.
 */
#include "pipeline/tagmap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

#define NA NAN /* the tag says nothing about this feature */

/* Values are in the order of MM_FEATURE_NAMES. */
#define X(name) +1
enum { N_FEATURES = 0 MM_FEATURE_NAMES };
#undef X

struct row {
    const char *tag;
    double v[N_FEATURES];
};

/* clang-format off */
static const struct row table[] = {
    /* tag: energy, valence, danceability, acousticness, instrumentalness, speechiness,
     * liveness, tempo (BPM), loudness (dB) */
    {"acoustic",            {0.35, NA,   NA,   0.85, NA,   NA,   NA,  NA,  NA}},
    {"aggressive",          {0.9,  0.3,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"ambient",             {0.15, 0.2,  0.25, 0.8,  0.85, 0.04, NA,  75,  -20}},
    {"ambient electronic",  {0.15, 0.2,  0.25, 0.8,  0.85, 0.04, NA,  75,  -20}},
    {"angry",               {0.9,  0.2,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"anxious",             {0.2,  0.35, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"atmospheric",         {0.3,  NA,   NA,   NA,   0.6,  NA,   NA,  NA,  NA}},
    {"autumnal",            {0.35, 0.4,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"beachy",              {0.65, 0.8,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"beautiful",           {0.35, 0.55, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"bittersweet",         {0.4,  0.4,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"blues",               {0.5,  0.45, 0.5,  0.45, 0.1,  0.05, NA,  100, -9}},
    {"bossa nova",          {0.35, 0.6,  0.65, 0.8,  0.2,  0.05, NA,  125, -13}},
    {"breakup",             {0.35, 0.15, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"bubbly k pop",        {0.8,  0.8,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"calm",                {0.2,  0.5,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"chill",               {0.3,  0.55, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"chillhop",            {0.35, 0.45, 0.65, 0.55, 0.7,  0.08, NA,  85,  -12}},
    {"chillout",            {0.3,  0.55, NA,   0.4,  NA,   NA,   NA,  NA,  NA}},
    {"cinematic",           {0.55, NA,   NA,   NA,   0.75, NA,   NA,  NA,  NA}},
    {"city pop",            {0.62, 0.68, 0.7,  0.25, 0.05, 0.04, NA,  112, -8}},
    {"classical",           {0.15, 0.25, 0.2,  0.95, 0.9,  0.04, NA,  85,  -22}},
    {"confident",           {0.75, 0.65, 0.75, NA,   NA,   NA,   NA,  NA,  NA}},
    {"country",             {0.55, 0.55, 0.58, 0.4,  0,    0.04, NA,  112, -7}},
    {"cozy",                {0.3,  0.55, NA,   0.65, NA,   NA,   NA,  NA,  NA}},
    {"dance",               {0.82, 0.65, 0.78, 0.05, 0.15, 0.06, NA,  124, -5}},
    {"dark",                {0.55, 0.12, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"depressing",          {0.25, 0.1,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"disco",               {0.75, 0.8,  0.8,  NA,   NA,   NA,   NA,  118, NA}},
    {"dream pop",           {0.45, 0.4,  NA,   0.25, 0.3,  NA,   NA,  NA,  NA}},
    {"dreamy",              {0.35, 0.45, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"driving",             {0.7,  0.7,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"drum and bass",       {0.9,  NA,   0.65, NA,   NA,   NA,   NA,  174, NA}},
    {"edm",                 {0.82, 0.65, 0.78, 0.05, 0.15, 0.06, NA,  124, -5}},
    {"electronic",          {0.7,  NA,   NA,   0.1,  0.45, NA,   NA,  NA,  NA}},
    {"emo",                 {0.8,  0.3,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"energetic",           {0.85, NA,   NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"epic",                {0.75, NA,   NA,   NA,   0.6,  NA,   NA,  NA,  NA}},
    {"euphoric",            {0.85, 0.85, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"film score",          {0.4,  0.25, 0.25, 0.7,  0.85, 0.04, NA,  95,  -15}},
    {"focus",               {0.3,  NA,   NA,   NA,   0.7,  NA,   NA,  NA,  NA}},
    {"focused",             {0.3,  NA,   NA,   NA,   0.7,  NA,   NA,  NA,  NA}},
    {"folk",                {0.3,  0.42, 0.48, 0.8,  0.05, 0.04, NA,  105, -11}},
    {"fun",                 {0.75, 0.85, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"funk",                {0.7,  0.75, 0.8,  NA,   NA,   NA,   NA,  110, NA}},
    {"gaming",              {0.85, NA,   NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"gospel",              {0.55, 0.7,  NA,   0.4,  NA,   NA,   NA,  NA,  NA}},
    {"grunge",              {0.8,  0.3,  NA,   0.1,  NA,   NA,   NA,  NA,  NA}},
    {"gym",                 {0.9,  NA,   NA,   NA,   NA,   NA,   NA,  130, NA}},
    {"happy",               {0.7,  0.85, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"hard rock",           {0.85, 0.45, NA,   0.05, NA,   NA,   NA,  NA,  -5}},
    {"heartbroken",         {0.35, 0.15, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"heavy metal",         {0.92, 0.3,  0.4,  0.01, 0.1,  0.08, NA,  140, -5}},
    {"hip hop",             {0.68, 0.5,  0.78, 0.1,  0.01, 0.28, NA,  95,  -6}},
    {"hopeful",             {0.55, 0.7,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"house",               {0.82, 0.65, 0.78, 0.05, 0.15, 0.06, NA,  124, -5}},
    {"hype",                {0.9,  0.55, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"indie",               {0.55, 0.42, 0.52, 0.3,  0.1,  0.04, NA,  115, -8}},
    {"indie folk",          {0.3,  0.42, 0.48, 0.8,  0.05, 0.04, NA,  105, -11}},
    {"indie pop",           {0.55, 0.42, 0.52, 0.3,  0.1,  0.04, NA,  115, -8}},
    {"indie rock",          {0.68, 0.42, NA,   0.15, NA,   NA,   NA,  NA,  NA}},
    {"instrumental",        {NA,   NA,   NA,   NA,   0.9,  0.04, NA,  NA,  NA}},
    {"japanese city pop",   {0.62, 0.68, 0.7,  0.25, 0.05, 0.04, NA,  112, -8}},
    {"jazz",                {0.35, 0.5,  0.55, 0.75, 0.45, 0.05, NA,  115, -13}},
    {"k pop",               {0.8,  0.7,  0.72, 0.08, 0,    0.08, NA,  122, -4}},
    {"kpop",                {0.8,  0.7,  0.72, 0.08, 0,    0.08, NA,  122, -4}},
    {"late night",          {0.42, 0.35, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"latin",               {0.75, 0.7,  0.78, 0.15, 0,    0.1,  NA,  98,  -5}},
    {"latin party",         {0.8,  0.75, 0.85, NA,   NA,   NA,   NA,  NA,  NA}},
    {"latin pop",           {0.75, 0.7,  0.78, 0.15, 0,    0.1,  NA,  98,  -5}},
    {"lazy sunday",         {0.3,  0.65, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"live",                {NA,   NA,   NA,   NA,   NA,   NA,   0.8, NA,  NA}},
    {"lo fi",               {0.35, 0.45, 0.65, 0.55, 0.7,  0.08, NA,  85,  -12}},
    {"lo fi hip hop",       {0.35, 0.45, 0.65, 0.55, 0.7,  0.08, NA,  85,  -12}},
    {"lofi",                {0.35, 0.45, 0.65, 0.55, 0.7,  0.08, NA,  85,  -12}},
    {"lonely",              {0.3,  0.2,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"love",                {0.45, 0.6,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"meditation",          {0.08, NA,   NA,   0.8,  0.85, NA,   NA,  NA,  NA}},
    {"meditative",          {0.08, NA,   NA,   0.8,  0.85, NA,   NA,  NA,  NA}},
    {"melancholic",         {0.3,  0.2,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"melancholy",          {0.3,  0.2,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"mellow",              {0.3,  0.5,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"metal",               {0.92, 0.3,  0.4,  0.01, 0.1,  0.08, NA,  140, -5}},
    {"metalcore",           {0.92, 0.3,  0.4,  0.01, 0.1,  0.08, NA,  140, -5}},
    {"morning",             {0.45, 0.65, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"motivated",           {0.75, 0.65, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"motivational",        {0.75, 0.65, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"motown",              {0.55, 0.68, 0.64, 0.35, 0.02, 0.05, NA,  108, -8}},
    {"mysterious",          {0.4,  0.25, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"neoclassical",        {0.15, 0.25, 0.2,  0.95, 0.9,  0.04, NA,  85,  -22}},
    {"night",               {0.42, 0.35, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"nostalgia",           {0.5,  0.5,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"nostalgic",           {0.5,  0.5,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"party",               {0.85, 0.75, 0.85, NA,   NA,   NA,   NA,  NA,  NA}},
    {"peaceful",            {0.15, 0.55, NA,   0.75, NA,   NA,   NA,  NA,  NA}},
    {"piano",               {0.25, NA,   NA,   0.85, 0.65, NA,   NA,  NA,  NA}},
    {"playful",             {0.7,  0.85, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"pop",                 {0.65, 0.6,  0.68, 0.15, 0.01, 0.06, NA,  118, -6}},
    {"post rock",           {0.55, 0.35, NA,   NA,   0.8,  NA,   NA,  NA,  NA}},
    {"punk",                {0.9,  0.55, 0.45, 0.02, 0.02, 0.07, NA,  165, -4}},
    {"r and b",             {0.5,  0.5,  0.68, 0.25, 0.02, 0.1,  NA,  95,  -7}},
    {"rain",                {0.3,  0.35, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"rainy day",           {0.3,  0.35, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"rap",                 {0.68, 0.5,  0.78, 0.1,  0.01, 0.28, NA,  95,  -6}},
    {"rebellious",          {0.9,  0.4,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"reflective",          {0.3,  0.4,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"reggae",              {0.55, 0.72, 0.75, 0.2,  0.05, 0.1,  NA,  80,  -8}},
    {"reggaeton",           {0.78, 0.7,  0.85, NA,   NA,   0.12, NA,  95,  NA}},
    {"relaxing",            {0.2,  0.5,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"retro city night",    {0.6,  0.6,  0.7,  NA,   NA,   NA,   NA,  NA,  NA}},
    {"rnb",                 {0.5,  0.5,  0.68, 0.25, 0.02, 0.1,  NA,  95,  -7}},
    {"road trip",           {0.7,  0.7,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"rock",                {0.75, 0.5,  0.48, 0.12, 0.05, 0.05, NA,  125, -6}},
    {"romantic",            {0.4,  0.6,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"sad",                 {0.25, 0.15, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"sensual",             {0.45, 0.55, 0.7,  NA,   NA,   NA,   NA,  NA,  NA}},
    {"sexy",                {0.45, 0.55, 0.7,  NA,   NA,   NA,   NA,  NA,  NA}},
    {"shoegaze",            {0.65, 0.35, NA,   NA,   0.4,  NA,   NA,  NA,  NA}},
    {"singer songwriter",   {0.35, NA,   NA,   0.7,  NA,   NA,   NA,  NA,  NA}},
    {"sleep",               {0.1,  NA,   NA,   0.8,  0.6,  NA,   NA,  NA,  NA}},
    {"sleepy",              {0.12, NA,   NA,   0.8,  NA,   NA,   NA,  NA,  NA}},
    {"sophisticated",       {0.45, 0.6,  NA,   0.55, NA,   NA,   NA,  NA,  NA}},
    {"soul",                {0.55, 0.68, 0.64, 0.35, 0.02, 0.05, NA,  108, -8}},
    {"soundtrack",          {0.4,  0.25, 0.25, 0.7,  0.85, 0.04, NA,  95,  -15}},
    {"study",               {0.3,  NA,   NA,   NA,   0.7,  NA,   NA,  NA,  NA}},
    {"summer",              {0.75, 0.8,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"summer vibes",        {0.75, 0.8,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"synthwave",           {0.72, 0.45, 0.6,  0.03, 0.45, 0.04, NA,  110, -7}},
    {"techno",              {0.85, 0.35, 0.72, 0.02, 0.8,  0.06, NA,  128, -7}},
    {"trap",                {0.7,  0.4,  0.75, NA,   NA,   0.25, NA,  140, NA}},
    {"upbeat",              {0.8,  0.75, NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"uplifting",           {0.65, 0.8,  NA,   NA,   NA,   NA,   NA,  NA,  NA}},
    {"workout",             {0.9,  NA,   NA,   NA,   NA,   NA,   NA,  130, NA}},
};
/* clang-format on */
#undef NA
#define N_ROWS (sizeof(table) / sizeof(table[0]))

static int row_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct row *)elem)->tag);
}

static const struct row *find(const char *tag)
{
    return bsearch(tag, table, N_ROWS, sizeof(table[0]), row_cmp);
}

/* Sets the features of `out` from values v (NaN: absent), weighted sums
 * being turned into means by the weights w (NULL: plain values). */
static void set_features(struct mm_features *out, const double *v, const double *w)
{
    int i = 0;
    bool any = false;
    memset(out, 0, sizeof(*out));
#define X(name)                                                                                    \
    if (w ? w[i] > 0 : !isnan(v[i])) {                                                             \
        out->name = w ? v[i] / w[i] : v[i];                                                        \
        out->has_##name = true;                                                                    \
        any = true;                                                                                \
    }                                                                                              \
    i++;
    MM_FEATURE_NAMES
#undef X
    out->present = any;
    out->source = any ? "lastfm_tags" : NULL;
}

bool mm_tagmap_lookup(const char *tag, struct mm_features *out)
{
    const struct row *r = tag ? find(tag) : NULL;
    if (r)
        set_features(out, r->v, NULL);
    else
        memset(out, 0, sizeof(*out));
    return r != NULL;
}

bool mm_tagmap_features(const char *const *tags, size_t n, struct mm_features *out)
{
    double sum[N_FEATURES] = {0}, weight[N_FEATURES] = {0};
    struct mm_buf norm;
    mm_buf_init(&norm, 4 * MM_TAGMAP_TAG_MAX);
    for (size_t i = 0; i < n && i < MM_TAGMAP_TAGS_MAX; i++) {
        size_t len = tags[i] ? strlen(tags[i]) : 0;
        mm_buf_reset(&norm);
        if (len == 0 || len > MM_TAGMAP_TAG_MAX || mm_text_normalize(tags[i], len, &norm) ||
            !norm.data)
            continue;
        const struct row *r = find(norm.data);
        double w = 1.0 / (1.0 + (double)i);
        for (size_t f = 0; r && f < N_FEATURES; f++) {
            if (!isnan(r->v[f])) {
                sum[f] += w * r->v[f];
                weight[f] += w;
            }
        }
    }
    mm_buf_cleanup(&norm);
    set_features(out, sum, weight);
    return out->present;
}

mm_err mm_tagmap_doc_markdown(struct mm_buf *out)
{
    size_t start = out->len;
    mm_err err = mm_buf_appends(out, "| tag |");
#define X(name) err = err ? err : mm_buf_appends(out, " " #name " |");
    MM_FEATURE_NAMES
#undef X
    err = err ? err : mm_buf_appends(out, "\n|---|");
    for (size_t f = 0; f < N_FEATURES && !err; f++)
        err = mm_buf_appends(out, "---|");
    err = err ? err : mm_buf_appends(out, "\n");
    for (size_t i = 0; i < N_ROWS && !err; i++) {
        err = mm_buf_printf(out, "| %s |", table[i].tag);
        for (size_t f = 0; f < N_FEATURES && !err; f++)
            err = isnan(table[i].v[f]) ? mm_buf_appends(out, " |")
                                       : mm_buf_printf(out, " %g |", table[i].v[f]);
        err = err ? err : mm_buf_appends(out, "\n");
    }
    if (err && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return err;
}
