/*
 * config_moods.h — the default mood profiles of score.moods (config.c).
 *
 * One profile per mood the app produces (the moods of tools/gen_sample.py and
 * of the app's analyses): target audio features (0–1; tempo in BPM; loudness
 * in dB) and aliases, the words an analysis may use for the mood. Names and
 * aliases are written normalised (common/text.h) and name one mood each.
 * Why these values: docs/score.md.
 */
#ifndef MM_CONFIG_MOODS_H
#define MM_CONFIG_MOODS_H

/* clang-format off */
#define MM_CONFIG_DEFAULT_MOODS \
    "{" \
    "\"chill\": {\"energy\": 0.35, \"valence\": 0.55, \"danceability\": 0.6, " \
        "\"acousticness\": 0.5, \"tempo\": 95, \"aliases\": [\"laid back\", " \
        "\"mellow and relaxed\", \"calm and cozy\", \"easygoing\", \"relaxed\", \"relaxing\", " \
        "\"calm\", \"mellow\", \"chill vibes\", \"chilled\", \"unwind\"]}," \
    "\"sad\": {\"energy\": 0.25, \"valence\": 0.15, \"danceability\": 0.35, " \
        "\"acousticness\": 0.6, \"tempo\": 80, \"aliases\": [\"down\", \"heavy hearted\", " \
        "\"gloomy\", \"sadness\", \"depressed\", \"crying\", \"blue\"]}," \
    "\"happy\": {\"energy\": 0.7, \"valence\": 0.85, \"danceability\": 0.7, " \
        "\"acousticness\": 0.25, \"tempo\": 118, \"aliases\": [\"joyful\", " \
        "\"cheerful and bright\", \"cheerful\", \"feel good\", \"joy\", \"good mood\"]}," \
    "\"focused\": {\"energy\": 0.35, \"valence\": 0.4, \"acousticness\": 0.5, " \
        "\"instrumentalness\": 0.7, \"speechiness\": 0.04, \"tempo\": 100, " \
        "\"aliases\": [\"concentration\", \"deep focus\", \"calm and productive\", \"focus\", " \
        "\"study\", \"studying\", \"productive\", \"deep work\"]}," \
    "\"energetic\": {\"energy\": 0.85, \"valence\": 0.65, \"danceability\": 0.7, " \
        "\"tempo\": 128, \"loudness\": -5, \"aliases\": [\"high energy\", \"upbeat and lively\", " \
        "\"pumped up\", \"upbeat\", \"lively\", \"energized\", \"energy\"]}," \
    "\"heartbreak\": {\"energy\": 0.35, \"valence\": 0.2, \"acousticness\": 0.45, " \
        "\"tempo\": 85, \"aliases\": [\"heartbroken\", \"post breakup\", \"sad and hurt\", " \
        "\"healing heartbreak\", \"breakup\", \"broken heart\"]}," \
    "\"romantic\": {\"energy\": 0.4, \"valence\": 0.6, \"danceability\": 0.55, " \
        "\"acousticness\": 0.45, \"tempo\": 90, \"aliases\": [\"in love\", " \
        "\"tender and romantic\", \"sensual\", \"love\", \"romance\", \"romantico\"]}," \
    "\"party\": {\"energy\": 0.85, \"valence\": 0.75, \"danceability\": 0.85, " \
        "\"tempo\": 124, \"loudness\": -5, \"aliases\": [\"party vibes\", \"festive\", " \
        "\"dance party\", \"dance\", \"partying\", \"celebration\"]}," \
    "\"workout\": {\"energy\": 0.9, \"valence\": 0.55, \"danceability\": 0.7, " \
        "\"tempo\": 135, \"loudness\": -4, \"aliases\": [\"gym motivation\", \"intense\", " \
        "\"pumped\", \"gym\", \"training\", \"running\", \"exercise\"]}," \
    "\"nostalgic\": {\"energy\": 0.5, \"valence\": 0.55, \"acousticness\": 0.35, " \
        "\"tempo\": 110, \"aliases\": [\"throwback\", \"sentimental\", \"wistful nostalgia\", " \
        "\"nostalgia\", \"retro\"]}," \
    "\"melancholic\": {\"energy\": 0.3, \"valence\": 0.2, \"acousticness\": 0.6, " \
        "\"instrumentalness\": 0.3, \"tempo\": 85, \"aliases\": [\"wistful and sad\", " \
        "\"somber\", \"quietly melancholic\", \"melancholy\", \"melancholia\"]}," \
    "\"sleepy\": {\"energy\": 0.12, \"valence\": 0.3, \"acousticness\": 0.85, " \
        "\"instrumentalness\": 0.6, \"tempo\": 70, \"loudness\": -20, \"aliases\": [\"drowsy\", " \
        "\"soft and calming\", \"sleep\", \"bedtime\", \"lullaby\"]}," \
    "\"rainy day\": {\"energy\": 0.3, \"valence\": 0.35, \"acousticness\": 0.6, " \
        "\"tempo\": 88, \"aliases\": [\"cozy and gray\", \"moody rain\", \"soft melancholy\", " \
        "\"rain\", \"rainy\"]}," \
    "\"late night\": {\"energy\": 0.4, \"valence\": 0.35, \"danceability\": 0.6, " \
        "\"acousticness\": 0.3, \"tempo\": 100, \"aliases\": [\"nocturnal\", \"after hours\", " \
        "\"moody night\", \"midnight\", \"night\"]}," \
    "\"road trip\": {\"energy\": 0.7, \"valence\": 0.7, \"danceability\": 0.55, " \
        "\"tempo\": 118, \"aliases\": [\"adventurous\", \"carefree\", \"open road\", " \
        "\"driving\", \"drive\"]}," \
    "\"summer\": {\"energy\": 0.75, \"valence\": 0.8, \"danceability\": 0.75, " \
        "\"tempo\": 115, \"aliases\": [\"summer vibes\", \"sunny\", \"carefree summer\", " \
        "\"tropical\"]}," \
    "\"angry\": {\"energy\": 0.92, \"valence\": 0.2, \"tempo\": 140, \"loudness\": -4, " \
        "\"aliases\": [\"rage\", \"furious\", \"frustrated\", \"anger\", \"mad\"]}," \
    "\"hype\": {\"energy\": 0.9, \"valence\": 0.55, \"danceability\": 0.75, " \
        "\"speechiness\": 0.2, \"tempo\": 140, \"loudness\": -4, \"aliases\": [\"hyped up\", " \
        "\"aggressive and energetic\", \"turnt\", \"hyped\", \"lit\"]}," \
    "\"lonely\": {\"energy\": 0.3, \"valence\": 0.2, \"acousticness\": 0.55, \"tempo\": 85, " \
        "\"aliases\": [\"isolated\", \"longing\", \"solitary\", \"alone\", \"loneliness\"]}," \
    "\"anxious\": {\"energy\": 0.2, \"valence\": 0.4, \"acousticness\": 0.7, " \
        "\"instrumentalness\": 0.5, \"tempo\": 75, \"aliases\": [\"calming anxiety\", " \
        "\"soothing\", \"grounding\", \"anxiety\", \"stressed\", \"stress relief\"]}," \
    "\"confident\": {\"energy\": 0.75, \"valence\": 0.65, \"danceability\": 0.8, " \
        "\"speechiness\": 0.12, \"tempo\": 110, \"aliases\": [\"empowered\", \"bold and sassy\", " \
        "\"self assured\", \"sassy\", \"boss\"]}," \
    "\"dreamy\": {\"energy\": 0.35, \"valence\": 0.45, \"acousticness\": 0.45, " \
        "\"instrumentalness\": 0.4, \"tempo\": 95, \"aliases\": [\"ethereal\", \"floaty\", " \
        "\"hazy and dreamlike\", \"hazy\", \"dream\"]}," \
    "\"peaceful\": {\"energy\": 0.15, \"valence\": 0.5, \"acousticness\": 0.8, " \
        "\"instrumentalness\": 0.6, \"tempo\": 75, \"aliases\": [\"serene\", \"tranquil\", " \
        "\"calm and content\", \"peace\"]}," \
    "\"motivated\": {\"energy\": 0.75, \"valence\": 0.65, \"danceability\": 0.6, " \
        "\"tempo\": 120, \"aliases\": [\"determined\", \"driven\", \"inspired\", \"motivation\", " \
        "\"inspiring\"]}," \
    "\"euphoric\": {\"energy\": 0.85, \"valence\": 0.85, \"danceability\": 0.75, " \
        "\"tempo\": 128, \"aliases\": [\"ecstatic\", \"blissful\", \"on top of the world\", " \
        "\"euphoria\", \"bliss\"]}," \
    "\"dark\": {\"energy\": 0.65, \"valence\": 0.12, \"acousticness\": 0.15, \"tempo\": 115, " \
        "\"loudness\": -7, \"aliases\": [\"brooding\", \"ominous\", \"gothic\", \"darkness\"]}," \
    "\"mysterious\": {\"energy\": 0.4, \"valence\": 0.25, \"instrumentalness\": 0.5, " \
        "\"tempo\": 95, \"aliases\": [\"enigmatic\", \"noir\", \"eerie\", \"mystery\"]}," \
    "\"playful\": {\"energy\": 0.7, \"valence\": 0.85, \"danceability\": 0.75, " \
        "\"tempo\": 118, \"aliases\": [\"silly and fun\", \"quirky\", \"bubbly\", \"fun\", " \
        "\"silly\"]}," \
    "\"reflective\": {\"energy\": 0.3, \"valence\": 0.4, \"acousticness\": 0.65, " \
        "\"tempo\": 90, \"aliases\": [\"introspective\", \"contemplative\", \"thoughtful\", " \
        "\"pensive\"]}," \
    "\"morning coffee\": {\"energy\": 0.45, \"valence\": 0.65, \"acousticness\": 0.6, " \
        "\"tempo\": 100, \"aliases\": [\"morning\", \"fresh start\", \"bright and easy\", " \
        "\"gentle wake up\", \"coffee\", \"breakfast\"]}," \
    "\"cozy winter\": {\"energy\": 0.3, \"valence\": 0.5, \"acousticness\": 0.7, " \
        "\"tempo\": 90, \"aliases\": [\"cozy\", \"wintry and warm\", \"snowy calm\", \"hygge\", " \
        "\"winter\", \"christmas\"]}," \
    "\"meditation\": {\"energy\": 0.08, \"valence\": 0.35, \"acousticness\": 0.8, " \
        "\"instrumentalness\": 0.85, \"tempo\": 65, \"loudness\": -22, " \
        "\"aliases\": [\"meditative\", \"mindful\", \"zen\", \"deeply calm\", \"yoga\", " \
        "\"mindfulness\"]}," \
    "\"gaming\": {\"energy\": 0.85, \"valence\": 0.45, \"instrumentalness\": 0.6, " \
        "\"tempo\": 130, \"aliases\": [\"focused and intense\", \"adrenaline\", \"game\", " \
        "\"video games\"]}," \
    "\"dinner party\": {\"energy\": 0.45, \"valence\": 0.65, \"danceability\": 0.6, " \
        "\"acousticness\": 0.55, \"tempo\": 105, \"aliases\": [\"sophisticated\", \"elegant\", " \
        "\"warm and social\", \"classy\", \"dinner\"]}," \
    "\"sunday morning\": {\"energy\": 0.3, \"valence\": 0.65, \"acousticness\": 0.6, " \
        "\"tempo\": 90, \"aliases\": [\"lazy sunday\", \"easy\", \"warm and slow\", \"sunday\"]}," \
    "\"beach\": {\"energy\": 0.65, \"valence\": 0.8, \"danceability\": 0.7, " \
        "\"acousticness\": 0.35, \"tempo\": 105, \"aliases\": [\"beachy\", \"sun soaked\", " \
        "\"breezy\", \"island vibes\", \"island\"]}," \
    "\"autumn\": {\"energy\": 0.35, \"valence\": 0.4, \"acousticness\": 0.65, \"tempo\": 92, " \
        "\"aliases\": [\"autumnal\", \"cozy and wistful\", \"crisp autumn\", " \
        "\"warm melancholy\", \"fall\"]}," \
    "\"cinematic\": {\"energy\": 0.55, \"valence\": 0.35, \"acousticness\": 0.4, " \
        "\"instrumentalness\": 0.75, \"tempo\": 100, \"aliases\": [\"epic\", \"sweeping\", " \
        "\"grandiose\", \"movie\"]}," \
    "\"rebellious\": {\"energy\": 0.9, \"valence\": 0.4, \"tempo\": 150, \"loudness\": -4, " \
        "\"aliases\": [\"defiant\", \"anti establishment\", \"raw and loud\", \"rebel\"]}," \
    "\"hopeful\": {\"energy\": 0.55, \"valence\": 0.7, \"acousticness\": 0.4, " \
        "\"tempo\": 110, \"aliases\": [\"optimistic\", \"uplifting\", \"brighter days\", " \
        "\"hope\"]}," \
    "\"bittersweet\": {\"energy\": 0.4, \"valence\": 0.4, \"acousticness\": 0.5, " \
        "\"tempo\": 95, \"aliases\": [\"happy sad\", \"wistful\", \"tender\"]}," \
    "\"city pop night\": {\"energy\": 0.6, \"valence\": 0.6, \"danceability\": 0.7, " \
        "\"tempo\": 112, \"aliases\": [\"retro city night\", \"smooth and retro\", " \
        "\"urban nostalgia\", \"city pop\"]}," \
    "\"k pop\": {\"energy\": 0.8, \"valence\": 0.75, \"danceability\": 0.75, \"tempo\": 120, " \
        "\"aliases\": [\"bubbly k pop\", \"bright and catchy\", \"idol energy\", \"kpop\"]}," \
    "\"latin night\": {\"energy\": 0.8, \"valence\": 0.75, \"danceability\": 0.85, " \
        "\"tempo\": 100, \"aliases\": [\"latin party\", \"caliente\", \"rhythmic and fiery\", " \
        "\"latin\", \"fiesta\"]}" \
    "}"
/* clang-format on */

#endif
