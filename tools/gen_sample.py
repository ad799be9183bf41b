#!/usr/bin/env python3
"""gen_sample.py — deterministic generator of MoodMusic2 app exports.

Writes what the app's PostgreSQL would give with
    \\copy (SELECT ... ORDER BY id) TO 'f.csv' WITH (FORMAT csv, HEADER)
for the tables user_requests and recommended_songs (DESIGN.md §4), byte for
byte in PostgreSQL's conventions: a field is quoted when it holds a comma, a
quote, CR or LF, or is the empty string; NULL is an empty unquoted field; jsonb
is printed with ", " and ": " and object keys ordered by length, then bytes;
timestamptz as "2025-11-20 14:03:12.12345+00" (trailing zeros of the fraction
dropped). The jsonl format holds the same rows, one request per line with its
songs nested under "songs".

Streaming: memory does not grow with --requests. The same --seed (and the
same options) always gives byte-identical files. The song catalog (a few
thousand tracks, with their Spotify/iTunes ids and name variants) is the same
for every seed, so separate exports agree on a song's ids.

--bad-rows N adds N deliberately invalid records (varied kinds, spread over
the file) to each output format and lists them in DIR/expected_rejects.csv
(file, line, column, reason, outcome). With N > 0 the request in the middle
of the export gets a valid but awkward text (embedded CR/LF, quotes, comma):
it must be accepted and is not listed.

Standard library only. See data/sample/README.md for the realism notes.
"""

import argparse
import datetime
import gc
import gzip
import json
import math
import os
import random
import sys
import time
import unicodedata

# ---------------------------------------------------------------- vocabulary

# genre | style of generated names | release years | duration seconds
GENRES = """
lo-fi|lofi|2015-2024|95-200
ambient|en|1990-2024|180-480
classical|classical|1960-2023|120-720
jazz|en|1956-2023|180-480
bossa nova|pt|1959-2022|150-300
r&b|en|1995-2024|170-280
pop|en|2005-2024|150-240
dance|club|2008-2024|170-260
techno|club|2005-2024|300-540
hip hop|en|1990-2024|150-300
rock|band|1965-2015|180-360
indie|band|2000-2024|170-300
folk|en|1965-2024|150-300
metal|band|1980-2023|200-420
punk|band|1976-2020|100-200
synthwave|band|2010-2024|200-330
k-pop|ko|2012-2024|160-220
city pop|ja|1976-1990|200-360
latin|es|1995-2024|170-260
country|en|1970-2024|160-250
soul|en|1962-1981|140-260
soundtrack|score|1966-2024|90-400
blues|en|1954-2020|160-330
reggae|en|1970-2020|180-280
"""

# genre | artist (" feat. " marks a featured artist) | title | album | year | duration
REAL_TRACKS = """
lo-fi|Nujabes|Aruarian Dance|Samurai Champloo Music Record: Departure|2004|4:07
lo-fi|Nujabes feat. Shing02|Luv(sic.) Part 3|Modal Soul|2005|5:55
lo-fi|J Dilla|Time: The Donut of the Heart|Donuts|2006|1:38
lo-fi|potsu|i'm closing my eyes|just friends|2018|1:59
lo-fi|Kupla|Owls of the Night|Kingdom in Blue|2019|2:17
ambient|Brian Eno|An Ending (Ascent)|Apollo: Atmospheres and Soundtracks|1983|4:26
ambient|Sigur Rós|Hoppípolla|Takk...|2005|4:28
ambient|Max Richter|On the Nature of Daylight|The Blue Notebooks|2004|6:12
ambient|Aphex Twin|Avril 14th|Drukqs|2001|2:05
ambient|Ólafur Arnalds|Saman|Living Room Songs|2011|2:38
ambient|Tycho|Awake|Awake|2014|4:43
classical|Claude Debussy|Clair de Lune|Suite bergamasque|1905|5:02
classical|Erik Satie|Gymnopédie No. 1|Gymnopédies|1888|3:05
classical|Ludovico Einaudi|Nuvole Bianche|Una Mattina|2004|5:57
classical|Johann Sebastian Bach|Cello Suite No. 1 in G Major, BWV 1007: I. Prélude|Bach: Cello Suites|1720|2:31
classical|Frédéric Chopin|Nocturne in E-Flat Major, Op. 9 No. 2|Nocturnes|1832|4:33
classical|Antonín Dvořák|Symphony No. 9 "From the New World": II. Largo|Symphony No. 9|1893|12:10
jazz|Miles Davis|So What|Kind of Blue|1959|9:22
jazz|The Dave Brubeck Quartet|Take Five|Time Out|1959|5:24
jazz|Duke Ellington & John Coltrane|In a Sentimental Mood|Duke Ellington & John Coltrane|1963|4:16
jazz|Chet Baker|My Funny Valentine|Chet Baker Sings|1954|2:20
jazz|Bill Evans Trio|Waltz for Debby|Waltz for Debby|1962|6:55
jazz|Ella Fitzgerald & Louis Armstrong|Dream a Little Dream of Me|Ella and Louis|1956|3:07
bossa nova|Stan Getz & João Gilberto|The Girl from Ipanema|Getz/Gilberto|1964|5:24
bossa nova|Elis Regina & Tom Jobim|Águas de Março|Elis & Tom|1974|3:32
bossa nova|João Gilberto|Chega de Saudade|Chega de Saudade|1959|2:00
bossa nova|Sérgio Mendes & Brasil '66|Mas Que Nada|Herb Alpert Presents Sergio Mendes & Brasil '66|1966|2:38
r&b|Erykah Badu|On & On|Baduizm|1997|3:46
r&b|D'Angelo|Untitled (How Does It Feel)|Voodoo|2000|7:10
r&b|Frank Ocean|Thinkin Bout You|channel ORANGE|2012|3:20
r&b|SZA|Good Days|SOS|2022|4:39
r&b|The Weeknd|Blinding Lights|After Hours|2020|3:20
r&b|Daniel Caesar feat. H.E.R.|Best Part|Freudian|2017|3:29
r&b|Beyoncé|Halo|I Am... Sasha Fierce|2008|4:21
r&b|Alicia Keys|If I Ain't Got You|The Diary of Alicia Keys|2003|3:48
pop|Taylor Swift|Cruel Summer|Lover|2019|2:58
pop|Harry Styles|As It Was|Harry's House|2022|2:47
pop|Dua Lipa|Levitating|Future Nostalgia|2020|3:23
pop|Billie Eilish|ocean eyes|dont smile at me|2017|3:20
pop|Olivia Rodrigo|drivers license|SOUR|2021|4:02
pop|Adele|Someone Like You|21|2011|4:45
pop|Lorde|Royals|Pure Heroine|2013|3:10
pop|Ed Sheeran|Perfect|÷|2017|4:23
pop|Carly Rae Jepsen|Run Away With Me|E•MO•TION|2015|4:11
dance|Daft Punk feat. Pharrell Williams|Get Lucky|Random Access Memories|2013|6:09
dance|Avicii|Levels|Levels|2011|3:19
dance|Calvin Harris feat. Rihanna|This Is What You Came For|This Is What You Came For|2016|3:42
dance|Fred again..|Delilah (pull me out of this)|Actual Life 3 (January 1 - September 9 2022)|2022|4:13
dance|Disclosure feat. Sam Smith|Latch|Settle|2013|4:15
dance|Robyn|Dancing On My Own|Body Talk Pt. 1|2010|4:47
techno|Stephan Bodzin|Singularity|Powers of Ten|2015|8:29
techno|Kölsch|Grey|1983|2013|6:44
techno|Charlotte de Witte|Sehnsucht|Sehnsucht|2021|5:52
techno|Boris Brejcha|Gravity|Space Diver|2020|7:38
hip hop|Kendrick Lamar|HUMBLE.|DAMN.|2017|2:57
hip hop|OutKast|Hey Ya!|Speakerboxxx/The Love Below|2003|3:55
hip hop|Kanye West|Stronger|Graduation|2007|5:11
hip hop|Eminem|Lose Yourself|8 Mile|2002|5:26
hip hop|A Tribe Called Quest|Electric Relaxation|Midnight Marauders|1993|4:04
hip hop|Travis Scott|SICKO MODE|ASTROWORLD|2018|5:12
hip hop|Mac Miller|Good News|Circles|2020|5:42
hip hop|Tyler, The Creator|EARFQUAKE|IGOR|2019|3:10
rock|Queen|Bohemian Rhapsody|A Night at the Opera|1975|5:55
rock|The Beatles|Here Comes the Sun|Abbey Road|1969|3:05
rock|Led Zeppelin|Stairway to Heaven|Led Zeppelin IV|1971|8:02
rock|AC/DC|Thunderstruck|The Razors Edge|1990|4:52
rock|Guns N' Roses|Sweet Child O' Mine|Appetite for Destruction|1987|5:56
rock|Fleetwood Mac|Dreams|Rumours|1977|4:17
rock|The Rolling Stones|Paint It, Black|Aftermath|1966|3:22
rock|Nirvana|Smells Like Teen Spirit|Nevermind|1991|5:01
rock|David Bowie|"Heroes"|"Heroes"|1977|6:07
indie|Arctic Monkeys|Do I Wanna Know?|AM|2013|4:32
indie|The Strokes|Last Nite|Is This It|2001|3:17
indie|Tame Impala|The Less I Know The Better|Currents|2015|3:36
indie|Radiohead|Weird Fishes/Arpeggi|In Rainbows|2007|5:18
indie|The Killers|Mr. Brightside|Hot Fuss|2004|3:42
indie|Phoebe Bridgers|Motion Sickness|Stranger in the Alps|2017|3:49
indie|Mitski|Nobody|Be the Cowboy|2018|3:13
indie|Beach House|Space Song|Depression Cherry|2015|5:20
indie|Cigarettes After Sex|Apocalypse|Cigarettes After Sex|2017|4:50
folk|Bon Iver|Holocene|Bon Iver, Bon Iver|2011|5:36
folk|Fleet Foxes|White Winter Hymnal|Fleet Foxes|2008|2:27
folk|Simon & Garfunkel|The Sound of Silence|Sounds of Silence|1966|3:05
folk|Bob Dylan|Blowin' in the Wind|The Freewheelin' Bob Dylan|1963|2:48
folk|Iron & Wine|Such Great Heights|Garden State|2004|4:13
folk|Nick Drake|Pink Moon|Pink Moon|1972|2:04
folk|Sufjan Stevens|Mystery of Love|Call Me by Your Name|2017|4:08
folk|José González|Heartbeats|Veneer|2003|2:41
metal|Metallica|Master of Puppets|Master of Puppets|1986|8:36
metal|Black Sabbath|Paranoid|Paranoid|1970|2:48
metal|Iron Maiden|The Trooper|Piece of Mind|1983|4:10
metal|Slipknot|Duality|Vol. 3: (The Subliminal Verses)|2004|4:12
metal|Motörhead|Ace of Spades|Ace of Spades|1980|2:49
metal|System Of A Down|Chop Suey!|Toxicity|2001|3:30
metal|Rammstein|Du hast|Sehnsucht|1997|3:54
punk|The Clash|London Calling|London Calling|1979|3:19
punk|Ramones|Blitzkrieg Bop|Ramones|1976|2:12
punk|Green Day|Basket Case|Dookie|1994|3:01
punk|blink-182|All the Small Things|Enema of the State|1999|2:48
punk|My Chemical Romance|Welcome to the Black Parade|The Black Parade|2006|5:11
punk|Paramore|Misery Business|Riot!|2007|3:31
punk|Fall Out Boy|Sugar, We're Goin Down|From Under the Cork Tree|2005|3:49
synthwave|The Midnight|Sunset|Endless Summer|2016|5:15
synthwave|Kavinsky|Nightcall|OutRun|2013|4:18
synthwave|FM-84 feat. Ollie Wride|Running in the Night|Atlas|2016|4:21
synthwave|Carpenter Brut|Turbo Killer|Leather Teeth|2018|4:04
synthwave|M83|Midnight City|Hurry Up, We're Dreaming|2011|4:03
k-pop|BTS|Dynamite|BE|2020|3:19
k-pop|BLACKPINK|How You Like That|THE ALBUM|2020|3:01
k-pop|NewJeans|Hype Boy|New Jeans|2022|2:59
k-pop|IU|밤편지 (Through the Night)|Palette|2017|4:13
k-pop|aespa|Supernova|Armageddon|2024|2:58
city pop|Mariya Takeuchi|Plastic Love|Variety|1984|7:54
city pop|Miki Matsubara|真夜中のドア〜stay with me|Pocket Park|1979|5:26
city pop|Tatsuro Yamashita|Ride on Time|Ride on Time|1980|5:55
city pop|Anri|Last Summer Whisper|Timely!!|1983|5:03
city pop|YOASOBI|夜に駆ける|THE BOOK|2021|4:21
latin|Bad Bunny|Tití Me Preguntó|Un Verano Sin Ti|2022|4:03
latin|Rosalía|MALAMENTE - Cap.1: Augurio|El Mal Querer|2018|2:30
latin|Luis Fonsi feat. Daddy Yankee|Despacito|VIDA|2019|3:48
latin|Shakira feat. Wyclef Jean|Hips Don't Lie|Oral Fixation, Vol. 2|2005|3:38
latin|Maná|Rayando el Sol|¿Dónde Jugarán los Niños?|1992|4:12
latin|Buena Vista Social Club|Chan Chan|Buena Vista Social Club|1997|4:16
country|Dolly Parton|Jolene|Jolene|1973|2:42
country|Johnny Cash|Ring of Fire|Ring of Fire: The Best of Johnny Cash|1963|2:37
country|Zach Bryan|Something in the Orange|American Heartbreak|2022|3:48
country|Kacey Musgraves|Slow Burn|Golden Hour|2018|4:06
country|John Denver|Take Me Home, Country Roads|Poems, Prayers & Promises|1971|3:10
country|Chris Stapleton|Tennessee Whiskey|Traveller|2015|4:53
soul|Marvin Gaye|What's Going On|What's Going On|1971|3:53
soul|Aretha Franklin|Respect|I Never Loved a Man the Way I Love You|1967|2:27
soul|Otis Redding|(Sittin' On) The Dock of the Bay|The Dock of the Bay|1968|2:44
soul|Stevie Wonder|Superstition|Talking Book|1972|4:26
soul|Earth, Wind & Fire|September|The Best of Earth, Wind & Fire, Vol. 1|1978|3:35
soul|Bill Withers|Ain't No Sunshine|Just As I Am|1971|2:05
soundtrack|Hans Zimmer|Time|Inception (Music from the Motion Picture)|2010|4:35
soundtrack|Ennio Morricone|The Ecstasy of Gold|The Good, the Bad and the Ugly|1966|3:22
soundtrack|Joe Hisaishi|One Summer's Day|Spirited Away|2001|3:07
soundtrack|Ramin Djawadi|Light of the Seven|Game of Thrones: Season 6|2016|9:51
soundtrack|Vangelis|Memories of Green|Blade Runner|1994|5:05
soundtrack|Hildur Guðnadóttir|Bathroom Dance|Joker|2019|2:40
blues|B.B. King|The Thrill Is Gone|Completely Well|1969|5:24
blues|Etta James|At Last|At Last!|1960|3:00
blues|Gary Clark Jr.|Bright Lights|Blak and Blu|2012|5:39
blues|Stevie Ray Vaughan & Double Trouble|Pride and Joy|Texas Flood|1983|3:39
reggae|Bob Marley & The Wailers|Three Little Birds|Exodus|1977|3:00
reggae|Bob Marley & The Wailers|Is This Love|Kaya|1978|3:52
reggae|Toots & The Maytals|54-46 That's My Number|Funky Kingston|1973|3:25
"""

# Emoji that need more than one code point are written as escapes so that
# invisible joiners and selectors stay visible in review.
HEART = "\u2764\ufe0f"          # ❤️ with VS16
BARE_HEART = "\u2764"           # ❤ as some keyboards send it
EMOJI_ESCAPES = {
    "<heart>": HEART, "<bareheart>": BARE_HEART,
    "<sun>": "\u2600\ufe0f", "<snow>": "\u2744\ufe0f", "<cloud>": "\u2601\ufe0f",
    "<plane>": "\u2708\ufe0f", "<rain>": "\U0001F327\ufe0f", "<couch>": "\U0001F6CB\ufe0f",
    "<candle>": "\U0001F56F\ufe0f", "<beachumb>": "\U0001F3D6\ufe0f", "<shades>": "\U0001F576\ufe0f",
    "<umbrella>": "\u2602\ufe0f", "<mountain>": "\U0001F3D4\ufe0f", "<dove>": "\U0001F54A\ufe0f",
    "<clock>": "\U0001F570\ufe0f", "<film>": "\U0001F39E\ufe0f", "<writing>": "\u270d\ufe0f",
    "<anger>": "\U0001F5EF\ufe0f", "<chains>": "\u26d3\ufe0f", "<spider>": "\U0001F577\ufe0f",
    "<detective>": "\U0001F575\ufe0f", "<key>": "\U0001F5DD\ufe0f", "<joystick>": "\U0001F579\ufe0f",
    "<lifter>": "\U0001F3CB\ufe0f", "<road>": "\U0001F6E3\ufe0f", "<map>": "\U0001F5FA\ufe0f",
    "<cutlery>": "\U0001F37D\ufe0f", "<snowman>": "\u2603\ufe0f", "<om>": "\U0001F549\ufe0f",
    "<wind>": "\U0001F32C\ufe0f",
    "<coder>": "\U0001F469\u200d\U0001F4BB", "<singer>": "\U0001F9D1\u200d\U0001F3A4",
    "<exhale>": "\U0001F62E\u200d\U0001F4A8", "<heartfire>": HEART + "\u200d\U0001F525",
    "<mending>": HEART + "\u200d\U0001FA79", "<rainbowflag>": "\U0001F3F3\ufe0f\u200d\U0001F308",
    "<family>": "\U0001F468\u200d\U0001F469\u200d\U0001F467", "<runner>": "\U0001F3C3\u200d\u2640\ufe0f",
    "<yogi>": "\U0001F9D8\u200d\u2642\ufe0f", "<fogface>": "\U0001F636\u200d\U0001F32B\ufe0f",
    "<polarbear>": "\U0001F43B\u200d\u2744\ufe0f", "<blackcat>": "\U0001F408\u200d\u2B1B",
    "<cook>": "\U0001F469\U0001F3FD\u200d\U0001F373",
    "<thumbs>": "\U0001F44D\U0001F3FD", "<dancer>": "\U0001F483\U0001F3FE",
    "<pray>": "\U0001F64F\U0001F3FB", "<horns>": "\U0001F918\U0001F3FC", "<flex>": "\U0001F4AA\U0001F3FF",
    "<flex2>": "\U0001F4AA\U0001F3FD", "<mandance>": "\U0001F57A\U0001F3FD", "<wave>": "\U0001F44B\U0001F3FC",
    "<jp>": "\U0001F1EF\U0001F1F5", "<br>": "\U0001F1E7\U0001F1F7", "<fr>": "\U0001F1EB\U0001F1F7",
    "<kr>": "\U0001F1F0\U0001F1F7", "<us>": "\U0001F1FA\U0001F1F8", "<mx>": "\U0001F1F2\U0001F1FD",
    "<jm>": "\U0001F1EF\U0001F1F2",
    "<scotland>": "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F",
    "<one>": "1\ufe0f\u20e3", "<hash>": "#\ufe0f\u20e3", "<bareone>": "1\u20e3",
}

# Moods, most requested first. Lists are " | "-separated, emojis by spaces,
# genres by ", ". Query slots: {artist} {title} {genre} {activity} {decade};
# "\\n" is a newline typed in the app's text box.
MOODS = """
[chill]
emojis: 😌 🌿 ☕ <couch> 🍃 😎 🧘 🌴
genres: lo-fi, bossa nova, r&b, indie, jazz
activities: studying | reading | cooking dinner | unwinding after work | a lazy sunday
moods: chill | laid-back | mellow and relaxed | calm and cozy | easygoing
why: laid-back groove | smooth, unhurried {genre} | soft vocals over a mellow beat | easy to zone out to | warm and relaxed feel
queries: chill vibes | something chill for {activity} | {genre} to relax to | chill songs like {artist} | need to decompress after a long shift | just vibing | lazy afternoon on the couch | chill stuff, nothing too loud | música tranquila para relajarme | musique chill pour l'après-midi
[sad]
emojis: 😢 😭 💧 <rain> 😞 🫥 <bareheart>
genres: indie, pop, folk, r&b, classical
activities: a bad day | crying it out | grieving | a rainy night alone
moods: sad | down | heavy-hearted | gloomy
why: lets you feel it | slow, heavy {genre} | gut-wrenching lyrics | quiet, sorrowful melody
queries: sad songs | songs to cry to | songs for {activity} | sad {genre} like {artist} | really sad rn | i just need to cry\\nnothing upbeat please | canciones tristes | músicas tristes | 슬픈 노래 추천해줘
[happy]
emojis: 😊 😄 🌞 🌈 🎈 😁 <sun> 🥳 <thumbs>
genres: pop, soul, reggae, k-pop, indie
activities: a sunny morning | a picnic | a good day at work
moods: happy | joyful | cheerful and bright | feel-good
why: pure feel-good energy | bright, catchy hook | impossible not to smile | sunny {genre}
queries: happy songs | feel good music | songs that make me smile | happy {genre} for {activity} | happy songs like {artist} | in a great mood today!! | canciones alegres | des chansons joyeuses
[focused]
emojis: 🎧 📚 <coder> 💻 🧠 <writing> ⏳
genres: lo-fi, ambient, classical, techno
activities: studying | coding | writing my thesis | deep work | exam prep
moods: focused | concentration | deep focus | calm and productive
why: no lyrics to distract | steady, hypnotic pulse | keeps you in the zone | unobtrusive {genre} background
queries: music for {activity} | focus music, no lyrics | deep work playlist | {genre} for concentration | help me focus on {activity} | exam tomorrow\\nneed focus music | something like {artist} but for studying | Musik zum Konzentrieren | 集中できる音楽
[energetic]
emojis: ⚡ 🔥 💥 🏃 🤸 🚀 😤
genres: dance, pop, rock, hip hop, punk
activities: cleaning the house | a morning run | getting ready | a bike ride
moods: energetic | high energy | upbeat and lively | pumped up
why: driving beat | big energetic chorus | fast tempo keeps you moving | punchy {genre} energy
queries: high energy songs | something to get me moving | upbeat {genre} for {activity} | songs with energy like {artist} | need a boost of energy rn | wake me UP | energía para empezar el día
[heartbreak]
emojis: 💔 😭 🥀 <mending> 🍷 😢
genres: pop, r&b, country, indie
activities: getting over an ex | crying in the car | deleting old texts
moods: heartbroken | post-breakup | sad and hurt | healing heartbreak
why: raw breakup lyrics | cathartic {genre} ballad | all the feels | understands exactly how you feel
queries: breakup songs | just got dumped | songs for {activity} | sad songs like {artist} | heartbreak {genre} | my ex texted me\\nand i'm not ok | songs like "{title}" by {artist} | canciones de desamor | chansons pour un cœur brisé
[romantic]
emojis: <heart> 😍 💕 🌹 🥂 💑 😘 <bareheart> <heartfire>
genres: r&b, soul, jazz, pop, bossa nova
activities: a date night | a candlelit dinner | slow dancing | our anniversary
moods: romantic | in love | tender and romantic | sensual
why: tender love song | warm, intimate vocals | classic slow-dance feel | sweet {genre} romance
queries: romantic songs for {activity} | love songs like {artist} | songs to slow dance to | something romantic but not cheesy | songs that feel like falling in love | canciones románticas | chansons d'amour
[party]
emojis: 🎉 🥳 🍾 🪩 💃 <mandance> 🍻 <dancer>
genres: dance, latin, pop, hip hop, k-pop
activities: a house party | a birthday | a club night | a wedding reception
moods: party | party vibes | festive | dance party
why: dancefloor filler | everyone knows this one | irresistible {genre} groove | made for singing along
queries: party songs | songs for {activity} | party playlist like {artist} | {genre} party bangers | hosting a party tonight 🎉 | music to dance to | fiesta latina | canciones para fiesta
[workout]
emojis: 💪 <lifter> <runner> 🔥 🥵 <flex2> 🚴 <flex>
genres: hip hop, dance, metal, rock, techno
activities: leg day | a 5k run | HIIT | lifting | spin class
moods: workout | gym motivation | intense | pumped
why: relentless tempo for reps | 128 bpm cardio fuel | heavy {genre} power | pushes you through the last set
queries: gym music | workout songs for {activity} | running playlist 160 bpm | {genre} for the gym | workout songs like {artist} | beast mode | música para el gym | músicas pra treinar
[nostalgic]
emojis: 📼 <clock> 📻 💭 <film> 🙂 📷
genres: soul, rock, city pop, synthwave, pop
activities: a drive through my hometown | looking at old photos | a high school reunion
moods: nostalgic | throwback | sentimental | wistful nostalgia
why: instant throwback | classic {genre} from another era | sounds like a summer years ago | warm analog nostalgia
queries: nostalgic songs | throwback hits from the {decade} | songs that remind me of being a kid | {genre} that feels like the {decade} | old songs like {artist} | feeling nostalgic tonight | canciones de los {decade}
[melancholic]
emojis: 😔 <rain> 🥀 🖤 🌫️ <fogface>
genres: indie, folk, ambient, classical
activities: a long walk alone | staring out the window | a late train home
moods: melancholic | wistful and sad | somber | quietly melancholic
why: aching, wistful melody | sparse arrangement that lingers | bittersweet lyrics | haunting {genre}
queries: melancholic songs | sad but beautiful {genre} | songs that feel like {artist} | that melancholy autumn feeling | feeling kinda blue today | canciones melancólicas | músicas melancólicas pra ouvir sozinho
[sleepy]
emojis: 😴 🌙 🛌 💤 ✨ 🌌 🐑
genres: ambient, classical, lo-fi, folk
activities: falling asleep | a bedtime routine | a nap | winding down
moods: sleepy | drowsy | soft and calming | tranquil
why: slow, soft and soothing | gentle lullaby feel | drifts along quietly | calming {genre} for bedtime
queries: songs to fall asleep to | sleepy music | something soft for {activity} | calm {genre} for sleeping | can't sleep, help | música para dormir | 寝る前に聴く曲
[rainy day]
emojis: <rain> ☔ ☕ 🌂 <cloud> 🪟 <umbrella>
genres: jazz, lo-fi, indie, folk, city pop
activities: staying in on a rainy day | reading by the window | making tea
moods: rainy day | cozy and gray | moody rain | soft melancholy
why: pairs perfectly with rain | cozy, gray-sky mood | soft {genre} for a wet afternoon | sounds like rain on the window
queries: rainy day music | songs for a rainy afternoon | it's pouring outside, need {genre} | rainy day songs like {artist} | cozy rainy day playlist ☔ | musique pour un jour de pluie | canciones para un día lluvioso | 비 오는 날 듣기 좋은 노래
[late night]
emojis: 🌃 🌙 🚕 🍸 🌆 🌌 🦉
genres: r&b, synthwave, jazz, city pop, lo-fi
activities: driving through the city at 2am | a late night shift | not being able to sleep
moods: late night | nocturnal | after hours | moody night
why: perfect after-midnight mood | neon-lit {genre} | smooth late-night groove | city lights feeling
queries: late night vibes | 2am songs | can't sleep again\\nsomething calm | songs for {activity} | late night {genre} like {artist} | night drive playlist | midnight city feels | 深夜に聴きたい曲 | canciones para la madrugada
[road trip]
emojis: 🚗 <road> <map> 🌄 🚐 <plane> <us>
genres: rock, country, indie, pop, folk
activities: a long drive | a cross-country road trip | driving up the coast
moods: road trip | adventurous | carefree | open road
why: windows-down singalong | built for the open road | classic {genre} driving song | big chorus for the highway
queries: road trip songs | songs for {activity} | driving music like {artist} | sing-along songs for the car | {genre} for a road trip | 6 hour drive tomorrow, need songs | canciones para viajar en carretera
[summer]
emojis: <sun> 🌴 <beachumb> 🍉 😎 🍹 🌺
genres: reggae, latin, pop, dance, city pop
activities: a pool party | a beach day | a summer barbecue
moods: summer vibes | sunny | carefree summer | tropical
why: pure summer sunshine | tropical {genre} bounce | beach-ready groove | smells like sunscreen
queries: summer vibes | songs for {activity} | summer hits | tropical {genre} | songs like {artist} for summer | summer 2025 playlist | canciones de verano | músicas de verão
[angry]
emojis: 😡 🤬 💢 🔥 👊 <anger>
genres: metal, punk, hip hop, rock
activities: a heavy gym session | venting | driving in traffic
moods: angry | rage | furious | frustrated
why: pure rage release | heavy riffs | aggressive {genre} catharsis | screaming chorus
queries: angry music | songs to scream to | rage {genre} | I'm so mad rn | songs like {artist} when i'm angry | music for {activity} | Wut-Musik
[hype]
emojis: 🔥 💯 😤 🏀 🚀 <horns> <flex>
genres: hip hop, dance, metal, latin
activities: pregame | a basketball game | getting ready to go out
moods: hype | hyped up | aggressive and energetic | turnt
why: massive drop | hard-hitting {genre} | crowd-starting energy | bass that hits hard
queries: HYPE songs | hype music for {activity} | songs that go hard like {artist} | get me hyped | {genre} bangers | pregame playlist 🔥🔥 | músicas pra animar
[lonely]
emojis: 😞 🌃 🚶 <rain> 🖤 🫂
genres: indie, r&b, folk, lo-fi
activities: a quiet night in | walking home alone | missing someone
moods: lonely | isolated | longing | solitary
why: captures that empty-room feeling | lonely late-night {genre} | quiet longing | gentle company when alone
queries: lonely songs | songs for {activity} | feeling lonely tonight | songs like {artist} when you feel alone | lonely {genre} | 一人の夜に聴きたい曲 | canciones para sentirse solo
[anxious]
emojis: 😰 <exhale> 🫠 🌀 🫂
genres: ambient, folk, lo-fi, classical
activities: calming down before an exam | a panic attack | a stressful day
moods: anxious | calming anxiety | soothing | grounding
why: slow breathing tempo | grounding and steady | soft {genre} to settle your mind | reassuring warmth
queries: songs for anxiety | calm me down | music for {activity} | something soothing, my mind is racing | calming {genre} | anxious and can't focus | música para la ansiedad
[confident]
emojis: 😎 💅 👑 <dancer> <shades> 💼
genres: pop, hip hop, r&b, dance
activities: walking into a job interview | getting dressed up | a night out
moods: confident | empowered | bold and sassy | self-assured
why: main-character energy | swagger in every bar | empowering {genre} anthem | strut-worthy beat
queries: confidence boost songs | main character energy | songs for {activity} | that girl playlist | empowering songs like {artist} | feel unstoppable | músicas de empoderamento
[dreamy]
emojis: ✨ 🌙 🦋 🌸 💫 <cloud> 🪐
genres: indie, synthwave, ambient, city pop
activities: daydreaming | stargazing | a late-night walk
moods: dreamy | ethereal | floaty | hazy and dreamlike
why: hazy reverb-soaked sound | floating, ethereal vocals | dreamy {genre} haze | like drifting through clouds
queries: dreamy songs | ethereal {genre} | songs that feel like a dream | dream pop like {artist} | music for {activity} | floaty, hazy vibes | musique planante
[peaceful]
emojis: <dove> 🌿 🌅 🍃 🌸 <yogi>
genres: classical, ambient, folk, bossa nova
activities: a morning walk | yoga | gardening | watching the sunrise
moods: peaceful | serene | tranquil | calm and content
why: serene and unhurried | gentle, open sound | quiet {genre} calm | peaceful and light
queries: peaceful music | serene {genre} | songs for {activity} | something peaceful like {artist} | I want to feel calm | música para paz interior
[motivated]
emojis: 💪 🚀 🏆 📈 🔥 🙌 <one>
genres: hip hop, rock, pop, soundtrack
activities: starting a new project | grinding on my business | a big presentation
moods: motivated | determined | driven | inspired
why: triumphant build-up | lyrics about never giving up | epic {genre} motivation | makes you want to conquer the day
queries: motivational songs | songs for {activity} | I need motivation to keep going | epic {genre} | motivational songs like {artist} | grind mode | música motivadora
[euphoric]
emojis: 🤩 🌈 🎆 🙌 ✨ 🥹 <rainbowflag>
genres: dance, techno, pop, k-pop
activities: a festival | sunrise after a rave | winning big
moods: euphoric | ecstatic | blissful | on top of the world
why: huge euphoric drop | soaring, uplifting synths | pure {genre} bliss | hands-in-the-air moment
queries: euphoric songs | festival anthems | songs for {activity} | euphoric {genre} like {artist} | feeling on top of the world | uplifting trance vibes
[dark]
emojis: 🖤 🌑 🦇 <spider> 💀 <chains>
genres: metal, techno, synthwave, soundtrack
activities: a late-night drive | halloween | writing horror fiction
moods: dark | brooding | ominous | gothic
why: brooding and heavy | ominous {genre} atmosphere | menacing bassline | shadowy, gothic feel
queries: dark music | dark {genre} | songs for {activity} | brooding songs like {artist} | something sinister and moody | musique sombre
[mysterious]
emojis: 🔮 🌒 <detective> <key> 🌫️ <blackcat>
genres: soundtrack, ambient, jazz, synthwave
activities: reading a mystery novel | a foggy night walk | a tabletop RPG session
moods: mysterious | enigmatic | noir | eerie
why: smoky noir atmosphere | enigmatic {genre} | suspenseful and moody | hints of something hidden
queries: mysterious music | noir jazz vibes | songs for {activity} | enigmatic {genre} | music like {artist} but mysterious | music for a detective story
[playful]
emojis: 😜 🤪 🎈 🐶 🍭 🎮 <family>
genres: pop, k-pop, indie, soul
activities: a road trip with kids | baking cookies | goofing around with friends
moods: playful | silly and fun | quirky | bubbly
why: bouncy and quirky | silly singalong fun | bubbly {genre} hook | playful melody
queries: fun songs | playful {genre} | songs for {activity} | silly happy songs like {artist} | quirky upbeat stuff | canciones divertidas
[reflective]
emojis: 🤔 📝 🌅 🍂 💭 🪞
genres: folk, indie, ambient, jazz
activities: journaling | a long walk | thinking about life | the end of the year
moods: reflective | introspective | contemplative | thoughtful
why: introspective lyrics | gives you room to think | thoughtful {genre} | slow and contemplative
queries: reflective songs | introspective {genre} | songs for {activity} | songs to think about life to | songs like {artist} for journaling | music for introspection | musique pour réfléchir
[morning coffee]
emojis: ☕ 🌅 🥐 🌞 📰 🍳
genres: jazz, bossa nova, folk, indie, soul
activities: making breakfast | a slow morning | getting ready for work
moods: morning | fresh start | bright and easy | gentle wake-up
why: gentle morning warmth | easy {genre} to ease into the day | bright and unhurried | coffee-shop classic
queries: morning coffee music | songs for {activity} | coffee shop {genre} | easy morning songs like {artist} | good morning playlist <sun> | musique pour le petit-déjeuner | música para o café da manhã
[cozy winter]
emojis: <snow> <snowman> 🧣 🔥 <candle> ☕ <polarbear>
genres: jazz, folk, classical, indie
activities: a snowy evening | sitting by the fireplace | wrapping presents
moods: cozy | wintry and warm | snowy calm | hygge
why: fireplace warmth | soft {genre} for cold nights | cozy as a blanket | gentle winter glow
queries: cozy winter songs | songs for {activity} | winter {genre} | snowing outside, want something cozy | hygge playlist | winter songs like {artist} | Winterlieder zum Entspannen
[meditation]
emojis: 🧘 <om> 🪷 <wind> 🔔 <yogi>
genres: ambient, classical
activities: meditation | breathwork | a yoga nidra session
moods: meditative | mindful | zen | deeply calm
why: spacious drones for stillness | slow-breathing pace | minimal {genre} | quiet and centering
queries: meditation music | music for {activity} | zen {genre} | something very calm with no beat | songs like {artist} for meditating | música para meditar | 瞑想用の音楽
[gaming]
emojis: 🎮 👾 <joystick> 💻 🏆 🎧 <hash>
genres: synthwave, techno, soundtrack, metal, dance
activities: a ranked grind | speedrunning | a late-night raid
moods: gaming | focused and intense | adrenaline | epic
why: keeps the adrenaline up | driving {genre} for long sessions | boss-fight energy | retro arcade feel
queries: gaming music | music for {activity} | {genre} for gaming | songs like {artist} for gaming | epic boss battle music | cyberpunk vibes
[dinner party]
emojis: 🍷 🍝 <candle> 🥂 <cutlery> <cook>
genres: jazz, bossa nova, soul, city pop
activities: hosting a dinner party | cooking for friends | wine night
moods: sophisticated | elegant | warm and social | classy
why: classy background groove | smooth {genre} that never gets in the way | elegant and warm | conversation-friendly
queries: dinner party music | songs for {activity} | classy {genre} | background music for guests like {artist} | wine night playlist 🍷 | musique pour un dîner entre amis
[sunday morning]
emojis: <sun> 🥞 🛏️ 🌼 📖 😌
genres: soul, folk, indie, jazz
activities: a slow sunday | brunch | cleaning with the windows open
moods: lazy sunday | easy | warm and slow | relaxed
why: slow and sunny | easygoing {genre} | sunday-morning warmth | soft and unhurried
queries: sunday morning songs | lazy sunday playlist | songs for {activity} | sunday {genre} like {artist} | slow weekend morning vibes | Sonntagmorgen Musik
[beach]
emojis: <beachumb> 🌊 🐚 🏄 🌞 🍹 <jm> <br>
genres: reggae, bossa nova, latin, indie
activities: a beach day | surfing | sunset on the beach
moods: beachy | sun-soaked | breezy | island vibes
why: breezy island rhythm | sounds like waves and sunshine | sun-soaked {genre} | laid-back beach groove
queries: beach songs | songs for {activity} | island vibes | beach {genre} like {artist} | sunset beach playlist 🌊 | canciones para la playa | músicas de praia
[autumn]
emojis: 🍂 🍁 🎃 ☕ 🧥 🌰
genres: folk, indie, jazz, classical
activities: a walk through falling leaves | pumpkin picking | a cozy october night
moods: autumnal | cozy and wistful | crisp autumn | warm melancholy
why: crisp autumn acoustic | earthy {genre} warmth | sounds like falling leaves | golden-hour fall mood
queries: autumn vibes | fall playlist | songs for {activity} | cozy autumn {genre} | fall songs like {artist} | sweater weather 🍂 | musique d'automne | canciones de otoño
[cinematic]
emojis: 🎬 🎻 🌌 <mountain> <film> 🌠 <scotland>
genres: soundtrack, classical, ambient
activities: writing a novel | an epic hike | editing a video
moods: cinematic | epic | sweeping | grandiose
why: sweeping orchestral build | feels like a movie scene | epic {genre} | soaring strings
queries: epic cinematic music | music for {activity} | songs that feel like a movie | {genre} like {artist} | main character walking in the rain scene | film score vibes | 映画みたいな曲
[rebellious]
emojis: 🤘 <singer> <chains> 🛹 🏴 🖕
genres: punk, rock, metal, hip hop
activities: skateboarding | a protest march | quitting my job
moods: rebellious | defiant | anti-establishment | raw and loud
why: defiant singalong | raw {genre} attitude | three chords and the truth | loud and unapologetic
queries: rebellious songs | punk rock energy | songs for {activity} | angry {genre} like {artist} | fight the system playlist | música rebelde
[hopeful]
emojis: 🌅 🌱 <pray> <dove> 🌈 🤞
genres: indie, folk, pop, soul
activities: starting over | a new job | recovering from a tough year
moods: hopeful | optimistic | uplifting | brighter days
why: quietly uplifting | lyrics about better days | warm hopeful {genre} | a light at the end of the tunnel
queries: hopeful songs | uplifting {genre} | songs for {activity} | songs like {artist} that give me hope | things will get better right? | canciones de esperanza
[bittersweet]
emojis: 🥲 🍂 🎓 💌 🌇 🫶 <wave>
genres: indie, folk, pop, city pop
activities: graduation | moving away | the last day of summer
moods: bittersweet | happy-sad | wistful | tender
why: happy and sad at the same time | tender, wistful {genre} | nostalgia with a smile | beautiful ache
queries: bittersweet songs | happy sad songs | songs for {activity} | bittersweet {genre} like {artist} | graduation feels 🎓 | songs that feel like an ending | canciones agridulces
[city pop night]
emojis: <jp> 🌆 🎷 🚕 🌃 📼
genres: city pop, jazz, synthwave
activities: a night drive in Tokyo | a neon-lit walk | a late dinner
moods: retro city night | smooth and retro | urban nostalgia
why: glossy 80s city sheen | smooth {genre} groove | neon-lit retro feel | tokyo at midnight
queries: japanese city pop | songs like {artist} | 80s tokyo night vibes | city pop for {activity} | シティポップ | 日本のシティポップ <jp>
[k-pop stan]
emojis: <kr> 💜 🫰 ✨ <bareone> 🎤
genres: k-pop, pop, dance
activities: a dance practice | a concert pregame | studying with my bias
moods: bubbly k-pop | bright and catchy | idol energy
why: addictive {genre} hook | killer choreography energy | bright and polished | catchy chorus
queries: kpop songs like {artist} | k-pop for {activity} | songs similar to "{title}" | new kpop girl groups | 신나는 케이팝 추천 | kpop <kr>
[latin night]
emojis: <mx> 💃 🌶️ 🎺 🔥 🪇
genres: latin, dance, pop
activities: a salsa class | a reggaeton party | cooking with my family
moods: latin party | caliente | rhythmic and fiery
why: irresistible latin rhythm | reggaeton bounce | fiery {genre} heat | perfecto para bailar
queries: reggaeton para {activity} | música latina como {artist} | perreo | canciones para bailar salsa | latin party songs | algo como "{title}"
"""

GLOBAL_QUERIES = [
    "{mood} songs", "{mood} {genre}", "songs like {artist}", "give me {mood} music",
    "{mood} playlist pls", 'something like "{title}" by {artist}', "{mood} vibes only",
    "need songs for {activity}, something {mood}", "play me something {mood}, thanks",
    "{mood} musci", "{artist}", "{genre}",
    "So I'm hosting a small get-together this Saturday, mostly coworkers, and I want "
    "something {mood} in the background — nothing too loud, no explicit lyrics, maybe some "
    "{genre}? Bonus points for stuff like {artist}.",
    "ok this is gonna sound weird but I want songs that feel like the moment in a movie "
    "where the main character finally figures it out, {mood} but not cheesy, kind of "
    "{genre}, {artist} energy. for {activity}.",
]
DECADES = ["70s", "80s", "90s", "2000s", "2010s"]
DECORATIONS = ["", "", "", "!", "!!", "...", " pls", " please", " 🙏", " ✨", " :)", " lol"]

# Dicts clients sent as `analysis` themselves; stored by the app as received.
CUSTOM_ANALYSES = [
    {"mood": "Chill", "matched_criteria": ["genre: jazz"], "energy": 0.3},
    {"vibe": "late night drive", "tags": ["synthwave", "retro", "night"]},
    {"mood": "happy", "genres": ["pop", "funk"], "popularity": "Any", "matched_criteria": []},
    {"mood": "Focused", "matched_criteria": "genre: classical"},
    {"analysis": {"mood": "sad", "matched_criteria": ["genre: indie folk"]}},
    {"mood": "hype", "matched_criteria": ["genre: trap", "activity: gym"], "source": "client-cache",
     "version": 2},
    {"mood": "", "matched_criteria": []},
    {"mood": "romántico", "matched_criteria": ["género: bolero", "artista: Luis Miguel"]},
    {"mood": "energetic", "matched_criteria": ["genre: edm"], "bpm": [120, 130], "explicit": False},
    {"emotion": "nostalgia", "confidence": 0.87},
    {"mood": "calm", "matched_criteria": ["genre: ambient"], "notes": None},
]

# Words for the generated part of the catalog.
ADJ = ("Velvet Golden Silver Neon Paper Midnight Electric Crystal Hollow Quiet Wild Lonely Broken "
       "Burning Frozen Distant Secret Crimson Amber Violet Sleepy Lucky Restless Gentle Faded Cosmic "
       "Northern Southern Glass Static Endless Little Young Savage Honey Analog Tender Sacred Lost "
       "Blue Bright Heavy Slow Sweet Strange Silent Early Golden Pale").split()
NOUN = ("Harbor Lantern Satellite Garden River Echo Horizon Signal Mirror Ocean Window Engine Fever "
        "Parade Shadow Orchard Summer Avenue Ghost Tide Circus Atlas Comet Wolf Canyon Motel Radio "
        "Daydream Postcard Weather Moon Ember Highway Island Prism Heart Fire Rain City Light Night "
        "Dream Sky Road Star Letter Season Kingdom Machine Desert Forest").split()
PHRASES = ["Holding On", "Falling Apart", "Running Back", "Waiting for You", "Dancing Alone",
           "Don't Let Go", "Stay", "Over Again", "All I Need", "Come Home", "Let It Burn",
           "Say My Name", "Wherever You Are", "Never Enough", "Slow Down", "Lose Control",
           "Tell Me Why", "Before the Sun", "No Sleep", "Hold Me Closer", "Out of Time"]
FIRST = ("Mila Jonas Zoë Chloé Mateo Lucía Ana Noah Aiko Léa Søren Björn Ingrid Amara Kwame Priya "
         "Arjun Sofía Joaquín Renée Théo Yusuf Elif Olivia Ethan Maya Leo Isla Nadia Dmitri "
         "Katarzyna Tomás Inês João Ximena Siobhán Niamh Oğuz Ayşe Jack Lily Sam Grace").split()
LAST = ("Sørensen Lindqvist García Núñez Moreau Dubois Okafor Mensah Sharma Patel Kowalski Novák "
        "Müller Schäfer O'Brien MacLeod Rossi Bianchi Costa Gonçalves Fernández Nakamura Yılmaz "
        "Andersson Haddad Reyes Walker Hayes Brooks Bennett Quinn Carter Young Moore").split()
ES_TITLES = ["Sin Ti", "Noche de Verano", "Corazón Roto", "Bailando Sola", "Fuego Lento", "Otoño",
             "Mi Ciudad", "Luna Llena", "Dime Que Sí", "Ojos Negros", "Perreo Triste", "Déjame Ir",
             "Cuando Llueve", "Te Extraño", "Mañana", "Besos en la Playa"]
ES_NAMES = ["Valentina", "Camilo", "Lucía", "Diego", "Martina", "Andrés", "Paloma", "Nicolás"]
ES_LAST = ["Vega", "Ríos", "Castillo", "Peña", "Ibáñez", "Montoya", "Durán", "Quintero"]
PT_TITLES = ["Saudade do Mar", "Manhã de Sol", "Chuva de Verão", "Coração Vagabundo",
             "Menina do Rio", "Tarde em Itapuã", "Samba da Lua", "Canção do Vento"]
PT_NAMES = ["Marcos Valle", "Joyce Moreno", "Tião Neto", "Bebel Nogueira", "Caetano Lima",
            "Nara Leão Costa", "Luiz Bonfá Filho", "Ana Júlia Prado"]
JA_TITLES = ["夜の街", "君の声", "夏の終わり", "星屑", "雨上がり", "Midnight Tokyo", "Summer Breeze",
             "東京ナイト", "Night Cruising", "Plastic Dreams", "Sunset Highway", "恋のシーズン"]
JA_NAMES = ["Yuki Tanaka", "Haruka Suzuki", "Ren Yamamoto", "Sora Kobayashi", "Aoi Saito",
            "Kenji Morita", "Mariko Ono", "Hoshino Band", "Tokyo Lights", "Junko Arai"]
KO_NAMES = ["LUMINA", "STELLAR", "ECLIPSE", "AURORA", "NOVA", "H1KEY", "VIVID", "ONEUS", "MOONBYUL"]
COMPOSERS = ["Frédéric Chopin", "Ludwig van Beethoven", "Wolfgang Amadeus Mozart", "Franz Schubert",
             "Robert Schumann", "Maurice Ravel", "Sergei Rachmaninoff", "Edvard Grieg", "Arvo Pärt",
             "Béla Bartók", "Camille Saint-Saëns", "Gabriel Fauré", "Pyotr Ilyich Tchaikovsky"]
WORK_FORMS = ["Piano Sonata No. {n} in {key}, Op. {op}: {mvt}", "Nocturne No. {n} in {key}",
              "Prelude in {key}, Op. {op} No. {n}", "Symphony No. {n} in {key}: {mvt}",
              "String Quartet No. {n}: {mvt}", "Étude Op. {op} No. {n}"]
KEYS = ["C Major", "E-Flat Major", "A Minor", "D Minor", "F-Sharp Minor", "B-Flat Major"]
MOVEMENTS = ["I. Allegro", "II. Adagio cantabile", "III. Rondo. Allegro", "II. Andante",
             "I. Moderato", "IV. Finale. Presto"]
LIVE_PLACES = ["Wembley", "the BBC", "Montreux", "Red Rocks", "the Fillmore", "Budokan"]
COMPILATIONS = ["Greatest Hits", "The Very Best Of", "Now That's What I Call Music! 85",
                "Essentials", "Chill Hits", "Anthology"]
SPOTIFY_CID = "3f1b4c2a9d8e47b0a5c6d7e8f9012345"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
HEX = "0123456789abcdef"

REQUEST_COLUMNS = ("id,user_id,text_description,emojis,num_songs_requested,gemini_analysis,"
                   "created_at")
SONG_COLUMNS = ("id,request_id,user_id,position,spotify_track_id,title,artist,album,album_art,"
                "preview_url,spotify_url,release_year,duration_ms,duration_formatted,"
                "why_gemini_chose,matched_criteria,created_at")
NUM_SONGS = [10] * 11 + [15] * 2 + [20] * 3 + [25] + [30] * 2 + [50]
EMOJI_COUNTS = [0] * 35 + [1] * 25 + [2] * 20 + [3] * 12 + [4] * 5 + [5] * 3
TRICKY_TEXT = ('songs like "Heroes" by Bowie, but slower\nfor a "late night" drive,\r\n'
               'no skips pls 🙏🏽')
TRICKY_WHY = 'the "Heroes" of slow\nsongs, trust me'
EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()

# ------------------------------------------------------------------ encoders


def csv_field(s):
    """A text value as PostgreSQL's CSV COPY writes it (None is NULL)."""
    if s is None:
        return ""
    if s == "" or "," in s or '"' in s or "\n" in s or "\r" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


# A JSON string literal, non-ASCII kept as is (what json.dumps(s, ensure_ascii=False) gives).
json_str = json.encoder.encode_basestring


def jsonb_text(v):
    """A JSON value as PostgreSQL prints jsonb: ", "/": " and keys by length, then bytes."""
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: (len(k.encode()), k.encode()))
        return "{" + ", ".join(json_str(k) + ": " + jsonb_text(v[k]) for k in keys) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(jsonb_text(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


def both(value):
    """(csv field, json value) for a jsonb column; None is NULL."""
    if value is None:
        return "", "null"
    text = jsonb_text(value)
    return csv_field(text), text


def fold(s):
    """Accents removed, as an LLM or a US keyboard would type the name."""
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def slug(s):
    out, dash = [], False
    for c in fold(s).lower():
        if c.isascii() and c.isalnum():
            out.append(c)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    return "".join(out).strip("-") or "album"


def make_clock():
    """A function: microseconds since the epoch -> created_at text (UTC), as
    PostgreSQL prints timestamptz (fraction without trailing zeros)."""
    hms = ["%02d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60) for s in range(86400)]
    last = [None, ""]  # second, "YYYY-MM-DD HH:MM:SS" of that second

    def text(us):
        sec, frac = divmod(us, 1000000)
        if sec != last[0]:
            day, rem = divmod(sec, 86400)
            last[0] = sec
            last[1] = datetime.date.fromordinal(EPOCH_ORDINAL + day).isoformat() + " " + hms[rem]
        if frac:
            return last[1] + ("." + "%06d" % frac).rstrip("0") + "+00"
        return last[1] + "+00"
    return text


# ------------------------------------------------------------------- catalog


class Track:
    __slots__ = ("genre", "artist", "feat", "title", "album", "year", "dur_ms", "real")

    def __init__(self, genre, artist, feat, title, album, year, dur_ms, real):
        self.genre, self.artist, self.feat, self.title = genre, artist, feat, title
        self.album, self.year, self.dur_ms, self.real = album, year, dur_ms, real


def parse_genres():
    out = {}
    for line in GENRES.strip().splitlines():
        name, style, years, secs = line.split("|")
        y0, y1 = map(int, years.split("-"))
        d0, d1 = map(int, secs.split("-"))
        out[name] = (style, y0, y1, d0, d1)
    return out


def parse_real_tracks():
    out = []
    for line in REAL_TRACKS.strip().splitlines():
        genre, artist, title, album, year, dur = line.split("|")
        artist, _, feat = artist.partition(" feat. ")
        mins, secs = dur.split(":")
        ms = (int(mins) * 60 + int(secs)) * 1000 + 123 * (len(title) % 7)  # not whole seconds
        out.append(Track(genre, artist, feat or None, title, album, int(year), ms, True))
    return out


def plural(noun):
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith("f"):
        return noun[:-1] + "ves"
    if noun.endswith(("s", "sh", "ch", "x")):
        return noun + "es"
    return noun + "s"


class Names:
    """Generated artist, title and album names in the style of a genre."""

    def __init__(self, rng):
        self.rng = rng
        self.c = rng.choice

    def artist(self, style):
        c, r = self.c, self.rng.random()
        if style == "classical":
            return c(COMPOSERS)
        if style == "pt":
            return c(PT_NAMES)
        if style == "ja":
            return c(JA_NAMES)
        if style == "ko":
            return c(KO_NAMES) if r < 0.7 else c(ADJ).upper() + " " + c(NOUN).upper()
        if style == "es":
            return c(ES_NAMES) + " " + c(ES_LAST) if r < 0.7 else "Los " + plural(c(NOUN))
        if style == "lofi":
            name = (c(ADJ) + " " + c(NOUN)).lower()
            return name + "." if r < 0.2 else name
        if style == "club":
            if r < 0.3:
                return "DJ " + c(LAST)
            return c(ADJ) + c(NOUN) if r < 0.7 else c(NOUN) + " & " + c(NOUN)
        if style == "band" or (style == "en" and r < 0.3):
            return "The " + c(ADJ) + " " + plural(c(NOUN)) if r < 0.5 else c(ADJ) + " " + c(NOUN)
        return c(FIRST) + " " + c(LAST)

    def title(self, style):
        c, r = self.c, self.rng.random()
        if style == "classical":
            rnd = self.rng.randint
            return c(WORK_FORMS).format(n=rnd(1, 24), key=c(KEYS), op=rnd(2, 120), mvt=c(MOVEMENTS))
        if style == "pt":
            return c(PT_TITLES)
        if style == "ja":
            return c(JA_TITLES)
        if style == "es":
            return c(ES_TITLES)
        if style == "score":
            if r < 0.4:
                return 'Main Theme (From "The %s %s")' % (c(ADJ), c(NOUN))
            return "The " + c(NOUN) if r < 0.7 else c(NOUN) + " Suite"
        if r < 0.35:
            t = c(ADJ) + " " + c(NOUN)
        elif r < 0.65:
            t = c(PHRASES)
        elif r < 0.85:
            t = c(NOUN)
        else:
            t = c(NOUN) + " of the " + c(NOUN)
        if style == "lofi":
            return t.lower() if r < 0.8 else c(NOUN).lower() + " & " + c(NOUN).lower()
        return t.upper() if style == "ko" and r < 0.2 else t

    def album(self, style, artist):
        c, r = self.c, self.rng.random()
        if style == "classical":
            return artist.split()[-1] + ": " + c(["Piano Sonatas", "Complete Nocturnes",
                                                  "Symphonies", "String Quartets", "Preludes"])
        if style == "score":
            return "The %s %s (Original Motion Picture Soundtrack)" % (c(ADJ), c(NOUN))
        if r < 0.25:
            return self.title(style)
        if r < 0.5:
            return c(ADJ) + " " + plural(c(NOUN))
        return c(NOUN) if r < 0.8 else "Vol. %d" % self.rng.randint(1, 4)


def build_tracks(rng, genres, per_genre):
    """The real tracks first, then `per_genre` generated ones for each genre."""
    tracks = parse_real_tracks()
    names = Names(rng)
    for genre, (style, y0, y1, d0, d1) in genres.items():
        made = 0
        while made < per_genre:
            artist = names.artist(style)
            albums = [(names.album(style, artist), rng.randint(y0, y1))
                      for _ in range(1 + int(rng.random() * 3))]
            for _ in range(2 + int(rng.random() * 7)):
                album, year = rng.choice(albums)
                feat = None
                if style in ("en", "club", "es", "ko") and rng.random() < 0.12:
                    feat = names.artist(style)
                tracks.append(Track(genre, artist, feat, names.title(style), album, year,
                                    rng.randint(d0 * 1000, d1 * 1000), False))
                made += 1
    return tracks


def rand_str(rng, alphabet, n):
    return "".join(alphabet[int(rng.random() * len(alphabet))] for _ in range(n))


def fmt_duration(ms):
    s = ms // 1000
    return "%d:%02d" % (s // 60, s % 60)


def fragment(track_id, title, artist, album, art, preview, url, year, dur_ms):
    """The ten catalog columns of a song row as (csv, json) fragments."""
    dur_fmt = fmt_duration(dur_ms) if dur_ms is not None else None
    year_s = str(year) if year is not None else None
    text = (track_id, title, artist, album, art, preview, url, year_s)
    c = ",".join(csv_field(v) for v in text)
    c += "," + ("" if dur_ms is None else str(dur_ms)) + "," + csv_field(dur_fmt)
    names = ("spotify_track_id", "title", "artist", "album", "album_art", "preview_url",
             "spotify_url", "release_year")
    j = ",".join('"%s":%s' % (k, "null" if v is None else json_str(v)) for k, v in zip(names, text))
    j += ',"duration_ms":%s,"duration_formatted":%s' % (
        "null" if dur_ms is None else dur_ms, "null" if dur_fmt is None else json_str(dur_fmt))
    return c, j


class Releases:
    """Spotify and iTunes renderings of catalog tracks, with stable per-album art."""

    def __init__(self, rng):
        self.rng = rng
        self.sp_art = {}
        self.it_album = {}

    def spotify(self, title, artist, album, year, dur_ms):
        rng = self.rng
        key = (artist, album)
        if key not in self.sp_art:
            self.sp_art[key] = "https://i.scdn.co/image/ab67616d0000b273" + rand_str(rng, HEX, 24)
        tid = rand_str(rng, B62, 22)
        preview = None
        if rng.random() < 0.3:
            preview = "https://p.scdn.co/mp3-preview/%s?cid=%s" % (rand_str(rng, HEX, 40), SPOTIFY_CID)
        return fragment(tid, title, artist, album, self.sp_art[key], preview,
                        "https://open.spotify.com/track/" + tid, year, dur_ms)

    def itunes(self, title, artist, album, year, dur_ms):
        rng = self.rng
        key = (artist, album)
        if key not in self.it_album:
            path = "Music%d/v4/%s/%s/%s/%s-%s-%s-%s-%s" % (
                rng.randint(112, 126), rand_str(rng, HEX, 2), rand_str(rng, HEX, 2),
                rand_str(rng, HEX, 2), rand_str(rng, HEX, 8), rand_str(rng, HEX, 4),
                rand_str(rng, HEX, 4), rand_str(rng, HEX, 4), rand_str(rng, HEX, 12))
            art = "https://is1-ssl.mzstatic.com/image/thumb/%s/%s.jpg/600x600bb.jpg" % (
                path, rand_str(rng, "0123456789", 14))
            self.it_album[key] = (rng.randint(100000000, 1799999999), art)
        collection, art = self.it_album[key]
        tid = str(rng.randint(100000000, 1799999999))
        preview = None
        if rng.random() < 0.95:
            preview = ("https://audio-ssl.itunes.apple.com/itunes-assets/AudioPreview%d/v4/%s/%s/%s/"
                       "mzaf_%s.plus.aac.p.m4a" % (rng.randint(112, 126), rand_str(rng, HEX, 2),
                                                   rand_str(rng, HEX, 2), rand_str(rng, HEX, 2),
                                                   rand_str(rng, "0123456789", 19)))
        url = "https://music.apple.com/us/album/%s/%d?i=%s&uo=4" % (slug(album), collection, tid)
        return fragment(tid, title, artist, album, art, preview, url, year, dur_ms)


def mentions(rng, tr):
    """(title, artist) as the LLM names the song when no catalog match is found."""
    artist = tr.artist
    variants = [artist]
    if tr.feat:
        variants.append(rng.choice(["%s feat. %s", "%s ft. %s", "%s & %s", "%s, %s"]) % (artist, tr.feat))
    if artist.startswith("The "):
        variants.append(artist[4:])
    if " & " in artist:
        variants.append(artist.replace(" & ", " and "))
    if fold(artist) != artist:
        variants.append(fold(artist))
    titles = [tr.title, tr.title.lower() if rng.random() < 0.5 else fold(tr.title)]
    out = []
    for a in variants[:3]:
        title = rng.choice(titles)
        out.append(fragment(None, title, a, "Unknown Album", None, None, None, None, None))
    return out


def release_fragments(rng, rel, tr):
    """([spotify fragments], [itunes fragments], [fallback fragments]) of one track."""
    feat_title = tr.title + (" (feat. %s)" % tr.feat if tr.feat else "")
    sp = [rel.spotify(feat_title, tr.artist, tr.album, tr.year, tr.dur_ms)]
    it_artist = tr.artist if not tr.feat or rng.random() < 0.6 else tr.artist + " & " + tr.feat
    it = [rel.itunes(feat_title, it_artist, tr.album, tr.year, tr.dur_ms)]
    r = rng.random()
    if tr.year <= 2014 and r < (0.6 if tr.year < 2000 else 0.2):
        ry = rng.randint(max(tr.year + 10, 2001), 2024)
        style = rng.random() < 0.5
        sp_t = tr.title + (" - Remastered %d" % ry if style else " - %d Remaster" % ry)
        it_t = tr.title + (" (Remastered %d)" % ry if style else " (%d Remaster)" % ry)
        album = tr.album + rng.choice([" (Remastered)", " (Deluxe Edition)", " (%d Remaster)" % ry])
        sp.append(rel.spotify(sp_t, tr.artist, album, ry, tr.dur_ms + rng.randint(-900, 900)))
        it.append(rel.itunes(it_t, tr.artist, album, ry, tr.dur_ms + rng.randint(-900, 900)))
    elif r < 0.75:
        place = rng.choice(LIVE_PLACES)
        year = min(max(tr.year, 1960) + rng.randint(1, 15), 2024)
        dur = tr.dur_ms + rng.randint(5000, 60000)
        sp.append(rel.spotify(tr.title + " - Live", tr.artist, "Live at " + place, year, dur))
        it.append(rel.itunes(tr.title + " (Live)", tr.artist, "Live at " + place, year, dur))
    elif r < 0.85 and tr.genre in ("pop", "dance", "techno", "latin", "k-pop", "hip hop"):
        edit = rng.random() < 0.5
        dur = tr.dur_ms - rng.randint(20000, 60000) if edit else tr.dur_ms + rng.randint(60000, 150000)
        sp.append(rel.spotify(tr.title + (" - Radio Edit" if edit else " - Extended Mix"), tr.artist,
                              tr.album, tr.year, max(dur, 90000)))
        it.append(rel.itunes(tr.title + (" [Radio Edit]" if edit else " (Extended Mix)"), tr.artist,
                             tr.album, tr.year, max(dur, 90000)))
    elif r < 0.95:
        album = rng.choice(COMPILATIONS)
        year = min(max(tr.year, 1960) + rng.randint(2, 20), 2024)
        sp.append(rel.spotify(feat_title, tr.artist, album, year, tr.dur_ms))
        it.append(rel.itunes(feat_title, tr.artist, album, year, tr.dur_ms))
    return sp, it, mentions(rng, tr)

# --------------------------------------------------------------------- moods

GENRE_LABELS = {
    "lo-fi": ["lo-fi", "lofi", "lo-fi hip hop"], "r&b": ["R&B", "r&b", "rnb"],
    "k-pop": ["k-pop", "kpop"], "hip hop": ["hip hop", "hip-hop", "rap"],
    "dance": ["dance", "edm", "house"], "city pop": ["city pop", "japanese city pop"],
    "latin": ["reggaeton", "latin pop", "latin"], "soundtrack": ["film score", "soundtrack"],
    "soul": ["soul", "motown", "funk"], "indie": ["indie", "indie rock", "dream pop"],
    "folk": ["folk", "indie folk", "acoustic"], "metal": ["metal", "heavy metal", "metalcore"],
    "ambient": ["ambient", "ambient electronic"], "classical": ["classical", "piano", "neoclassical"],
}
POOL_QUERIES = 240
POOL_SMALL = 8  # why / matched_criteria variants per (mood, genre)


class Mood:
    __slots__ = ("emojis", "genres", "activities", "moods", "why", "queries",
                 "tracks", "pool", "why_pool", "crit_pool")


def unescape(s):
    for token, emoji in EMOJI_ESCAPES.items():
        s = s.replace(token, emoji)
    return s.replace("\\n", "\n")


def parse_moods():
    out = []
    for block in MOODS.strip().split("\n["):
        body = block.partition("]\n")[2]
        fields = dict(line.split(": ", 1) for line in body.strip().splitlines())
        m = Mood()
        m.emojis = [unescape(e) for e in fields["emojis"].split()]
        m.genres = fields["genres"].split(", ")
        m.activities = fields["activities"].split(" | ")
        m.moods = fields["moods"].split(" | ")
        m.why = fields["why"].split(" | ")
        m.queries = [unescape(q) for q in fields["queries"].split(" | ")]
        out.append(m)
    return out


def render_query(rng, m, real_by_genre):
    """(text, analysis dict) for one query of mood m."""
    c = rng.choice
    tpl = c(m.queries) if rng.random() < 0.75 else unescape(c(GLOBAL_QUERIES))
    genre = c(m.genres)
    label = c(GENRE_LABELS.get(genre, [genre]))
    ref = c(real_by_genre[genre])
    mood = c(m.moods)
    slots = {"genre": label, "mood": mood, "activity": c(m.activities), "decade": c(DECADES),
             "artist": ref.artist, "title": ref.title}
    text = tpl.format(**slots)
    crit = ["genre: " + c(GENRE_LABELS.get(genre, [genre]))]
    other = c(m.genres)
    if other != genre and rng.random() < 0.4:
        crit.append("genre: " + other)
    if "{artist}" in tpl:
        crit.append("artist: " + ref.artist)
    elif rng.random() < 0.25:
        crit.append("artist: " + c(real_by_genre[genre]).artist)
    if "{activity}" in tpl:
        crit.append("activity: " + slots["activity"])
    elif rng.random() < 0.35:
        crit.append("activity: " + c(m.activities))
    if "{decade}" in tpl:
        crit.append("era: " + slots["decade"])
    if rng.random() < 0.15:
        crit.append("tempo: " + c(["slow", "mid-tempo", "upbeat", "fast"]))
    if "{mood}" not in tpl:
        mood = c(m.moods)
    if rng.random() < 0.1:
        mood = mood.capitalize()
    return text, {"mood": mood, "matched_criteria": crit}


def build_moods(rng, tracks):
    real_by_genre, all_by_genre = {}, {}
    for idx, tr in enumerate(tracks):
        all_by_genre.setdefault(tr.genre, []).append(idx)
        if tr.real:
            real_by_genre.setdefault(tr.genre, []).append(tr)
    moods = parse_moods()
    for m in moods:
        real = [i for g in m.genres for i in all_by_genre[g] if tracks[i].real]
        generated = [i for g in m.genres for i in all_by_genre[g] if not tracks[i].real]
        rng.shuffle(generated)
        m.tracks = real + generated
        m.pool = []
        for _ in range(POOL_QUERIES):
            text, analysis = render_query(rng, m, real_by_genre)
            m.pool.append((text,) + both(analysis))
        m.why_pool, m.crit_pool = {}, {}
        for g in m.genres:
            labels = GENRE_LABELS.get(g, [g])
            m.why_pool[g] = []
            m.crit_pool[g] = []
            for _ in range(POOL_SMALL):
                why = rng.choice(m.why).format(genre=rng.choice(labels))
                why = why[0].upper() + why[1:] if rng.random() < 0.3 else why
                m.why_pool[g].append((csv_field(why), json_str(why)))
                crit = ["genre: " + rng.choice(labels)]
                r = rng.random()
                if r < 0.4:
                    crit.append("mood: " + rng.choice(m.moods))
                elif r < 0.7:
                    crit.append("activity: " + rng.choice(m.activities))
                m.crit_pool[g].append(both(crit))
    return moods


# ------------------------------------------------------------------- outputs


class Output:
    """One output file: rows are buffered as text, written as UTF-8, optionally gzip'd
    (with a zero mtime so that the bytes do not depend on the clock)."""

    def __init__(self, directory, name, gz, header, count_lines):
        self.name = name + (".gz" if gz else "")
        self.raw = open(os.path.join(directory, self.name), "wb")
        self.stream = self.raw
        if gz:
            self.stream = gzip.GzipFile(filename=name, mode="wb", fileobj=self.raw, mtime=0,
                                        compresslevel=6)
        self.buf = [header + "\n"] if header else []
        self.count_lines = count_lines
        self.flushed_lines = 0

    def next_line(self):
        """Physical line (1-based) where the next record starts."""
        return self.flushed_lines + sum(s.count("\n") for s in self.buf) + 1

    def flush(self):
        chunk = "".join(self.buf)
        if self.count_lines:
            self.flushed_lines += chunk.count("\n")
        self.stream.write(chunk.encode("utf-8"))
        self.buf.clear()

    def close(self):
        self.flush()
        if self.stream is not self.raw:
            self.stream.close()
        self.raw.close()


def user_pool_size(n_requests):
    """User ids run 1..this value (the benchmark creates these users rows)."""
    return max(20, n_requests // 8)


# ------------------------------------------------------------------ bad rows

# The CSV kinds alternate between the two files so that a few bad rows already
# touch both; every kind has exactly one defect.
CSV_KINDS = [
    "emojis_invalid_json", "song_unknown_request", "analysis_invalid_json", "song_empty_title",
    "created_at_month_13", "song_criteria_invalid_json", "emojis_not_array", "created_at_feb_30",
    "id_not_integer", "duplicate_conflict", "duplicate_identical", "query_too_long",
    "empty_request", "num_songs_not_integer", "request_too_many_fields", "created_at_garbage",
    "song_too_many_fields",
]
JSONL_KINDS = [
    "emojis_not_array", "song_empty_title", "invalid_json_line", "created_at_month_13",
    "id_not_integer", "duplicate_conflict", "duplicate_identical", "query_too_long",
    "empty_request", "num_songs_not_integer", "created_at_feb_30", "created_at_garbage",
]
# kind -> (column, reason, outcome)
KIND_REPORT = {
    "emojis_invalid_json": ("emojis", "invalid_json", "reject"),
    "emojis_not_array": ("emojis", "not_array", "reject"),
    "analysis_invalid_json": ("gemini_analysis", "invalid_json", "reject"),
    "created_at_month_13": ("created_at", "bad_timestamp", "reject"),
    "created_at_feb_30": ("created_at", "bad_timestamp", "reject"),
    "created_at_garbage": ("created_at", "bad_timestamp", "reject"),
    "id_not_integer": ("id", "not_integer", "reject"),
    "duplicate_conflict": ("id", "duplicate_conflict", "reject"),
    "duplicate_identical": ("id", "duplicate", "duplicate"),
    "query_too_long": ("text_description", "too_long", "reject"),
    "empty_request": ("text_description", "empty_request", "reject"),
    "num_songs_not_integer": ("num_songs_requested", "not_integer", "reject"),
    "request_too_many_fields": ("", "field_count", "reject"),
    "song_unknown_request": ("request_id", "unknown_request", "reject"),
    "song_empty_title": ("title", "empty", "reject"),
    "song_criteria_invalid_json": ("matched_criteria", "invalid_json", "reject"),
    "song_too_many_fields": ("", "field_count", "reject"),
    "invalid_json_line": ("", "invalid_json", "reject"),
}
BAD_TIMESTAMPS = {"created_at_month_13": "2025-13-02 10:11:12.5+00",
                  "created_at_feb_30": "2025-02-30 08:00:00+00",
                  "created_at_garbage": "yesterday at noon"}
PHANTOM_REQUEST_ID = 2000000000
LONG_QUERY = ("I need songs for my café road trip through the Alpes-Maritimes, something "
              "nostalgic but upbeat, like the stuff my dad played in the car, " * 5)[:530]
BAD_SONG = fragment("4uLU6hMCjMI75M1A2tKUQC", "Never Gonna Give You Up", "Rick Astley",
                    "Whenever You Need Somebody",
                    "https://i.scdn.co/image/ab67616d0000b27315ebbedaacef61af244262a8", None,
                    "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC", 1987, 213573)
EMPTY_TITLE_SONG = fragment("4uLU6hMCjMI75M1A2tKUQC", "", "Rick Astley",
                            "Whenever You Need Somebody", None, None,
                            "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC", 1987, 213573)


class Req:
    """The request just written, as the bad-row injectors need it."""
    __slots__ = ("rid", "user_c", "user_j", "text", "emo_c", "emo_j", "num", "ana_c", "ana_j",
                 "ts", "extra_pos", "csv_line", "json_line")


KEEP = object()
FRESH_TEXT = "rainy day songs"


def csv_request(id_s, r, text=KEEP, emo_c=KEEP, num_s=KEEP, ana_c=KEEP, ts=KEEP, extra=""):
    """A user_requests row like r but with the given fields replaced (text None is NULL)."""
    return "%s,%s,%s,%s,%s,%s,%s%s\n" % (
        id_s, r.user_c, csv_field(r.text or FRESH_TEXT if text is KEEP else text),
        r.emo_c if emo_c is KEEP else emo_c, str(r.num) if num_s is KEEP else num_s,
        r.ana_c if ana_c is KEEP else ana_c, r.ts if ts is KEEP else ts, extra)


def json_request(id_j, r, text=KEEP, emo_j=KEEP, num_j=KEEP, ts=KEEP, songs=""):
    """A jsonl request line like r but with the given fields replaced."""
    text = r.text or FRESH_TEXT if text is KEEP else text
    return ('{"id":%s,"user_id":%s,"text_description":%s,"emojis":%s,"num_songs_requested":%s,'
            '"gemini_analysis":%s,"created_at":%s,"songs":[%s]}\n') % (
        id_j, r.user_j, "null" if text is None else json_str(text),
        r.emo_j if emo_j is KEEP else emo_j, str(r.num) if num_j is KEEP else num_j, r.ana_j,
        json_str(r.ts if ts is KEEP else ts), songs)


def csv_bad_row(kind, r, fresh, sid, slot):
    """(which file: 'requests'|'songs', row text) for one CSV bad row."""
    f = str(fresh)
    if kind in BAD_TIMESTAMPS:
        return "requests", csv_request(f, r, ts=BAD_TIMESTAMPS[kind])
    if kind.startswith("song_"):
        request_id, user_c, pos = r.rid, r.user_c, None
        if kind == "song_unknown_request":
            request_id, user_c, pos = PHANTOM_REQUEST_ID + slot, "", 1
        if pos is None:
            r.extra_pos += 1
            pos = r.extra_pos
        frag = EMPTY_TITLE_SONG[0] if kind == "song_empty_title" else BAD_SONG[0]
        crit = '"[""genre: pop"", ""activity:"' if kind == "song_criteria_invalid_json" else ""
        extra = ",1" if kind == "song_too_many_fields" else ""
        return "songs", "%d,%d,%s,%d,%s,Classic for the mood,%s,%s%s\n" % (
            sid, request_id, user_c, pos, frag, crit, r.ts, extra)
    rows = {
        "emojis_invalid_json": lambda: csv_request(f, r, emo_c=csv_field('["😴", "📚"')),
        "emojis_not_array": lambda: csv_request(f, r, emo_c=csv_field('"😴"')),
        "analysis_invalid_json": lambda: csv_request(
            f, r, ana_c=csv_field('{"mood": "chill", "matched_criteria": ["genre: lo-fi"')),
        "id_not_integer": lambda: csv_request(f + "a", r),
        "duplicate_conflict": lambda: csv_request(str(r.rid), r, text=r.text + " (edited)"),
        "duplicate_identical": lambda: r.csv_line,
        "query_too_long": lambda: csv_request(f, r, text=LONG_QUERY),
        "empty_request": lambda: (csv_request(f, r, text="", emo_c="") if slot % 2 == 0 else
                                  csv_request(f, r, text=None, emo_c="[]")),
        "num_songs_not_integer": lambda: csv_request(f, r, num_s="abc"),
        "request_too_many_fields": lambda: csv_request(f, r, extra=",extra"),
    }
    return "requests", rows[kind]()


def jsonl_bad_row(kind, r, fresh, sid, slot):
    """The line of one jsonl bad row."""
    f = str(fresh)
    if kind in BAD_TIMESTAMPS:
        return json_request(f, r, ts=BAD_TIMESTAMPS[kind])
    if kind == "song_empty_title":
        song = ('{"id":%d,"request_id":%d,"user_id":%s,"position":1,%s,"why_gemini_chose":'
                '"Classic for the mood","matched_criteria":null,"created_at":"%s"}') % (
            sid, fresh, r.user_j, EMPTY_TITLE_SONG[1], r.ts)
        return json_request(f, r, songs=song)
    if kind == "invalid_json_line":
        line = json_request(f, r)
        return line[:len(line) // 2] + "\n"
    if kind == "empty_request":
        if slot % 2 == 0:
            return json_request(f, r, text="", emo_j="null")
        return json_request(f, r, text=None, emo_j="[]")
    rows = {
        "emojis_not_array": lambda: json_request(f, r, emo_j=json_str("😴📚")),
        "id_not_integer": lambda: json_request(json_str(f + "a"), r),
        "duplicate_conflict": lambda: json_request(str(r.rid), r, text=r.text + " (edited)"),
        "duplicate_identical": lambda: r.json_line,
        "query_too_long": lambda: json_request(f, r, text=LONG_QUERY),
        "num_songs_not_integer": lambda: json_request(f, r, num_j='"abc"'),
    }
    return rows[kind]()

# ----------------------------------------------------------------- generator

CATALOG_PER_GENRE = 120
CATALOG_SEED = 20251120  # one catalog for every seed: a song keeps its ids across exports
WHY_SCALE = POOL_SMALL / 0.98
CRIT_SCALE = POOL_SMALL / 0.95
NULL_PAIR = ("", "null")


class Generator:
    def __init__(self, opt):
        self.opt = opt
        catalog_rng = random.Random(CATALOG_SEED)
        tracks = build_tracks(catalog_rng, parse_genres(), CATALOG_PER_GENRE)
        releases = Releases(catalog_rng)
        self.frags = [release_fragments(catalog_rng, releases, tr) for tr in tracks]
        self.rng = random.Random(opt.seed)
        self.genre_of = [tr.genre for tr in tracks]
        self.moods = build_moods(self.rng, tracks)
        self.custom = [both(d) for d in CUSTOM_ANALYSES]
        self.all_emojis = sorted({e for m in self.moods for e in m.emojis})
        self.rejects = []
        self.counts = {"requests": 0, "songs": 0, "bad_rows": 0}
        want = opt.format
        count = opt.bad_rows > 0
        self.rq = self.sg = self.jl = None
        if want in ("pg_csv", "both"):
            self.rq = Output(opt.out, "user_requests.csv", opt.gzip, REQUEST_COLUMNS, count)
            self.sg = Output(opt.out, "recommended_songs.csv", opt.gzip, SONG_COLUMNS, count)
        if want in ("jsonl", "both"):
            self.jl = Output(opt.out, "requests.jsonl", opt.gzip, None, count)

    def inject(self, slot, r, fresh, sid):
        """Writes the bad row(s) of `slot` after request r; records what must be rejected."""
        if self.rq:
            kind = CSV_KINDS[slot % len(CSV_KINDS)]
            which, row = csv_bad_row(kind, r, fresh, sid, slot)
            out = self.rq if which == "requests" else self.sg
            self.rejects.append((out.name, out.next_line()) + KIND_REPORT[kind] + (kind,))
            out.buf.append(row)
        if self.jl:
            kind = JSONL_KINDS[slot % len(JSONL_KINDS)]
            self.rejects.append((self.jl.name, self.jl.next_line()) + KIND_REPORT[kind] + (kind,))
            self.jl.buf.append(jsonl_bad_row(kind, r, fresh, sid, slot))
        self.counts["bad_rows"] += 1

    def run(self):
        o = self.opt
        n = o.requests
        rnd, log, clock = self.rng.random, math.log, make_clock()
        moods, nm, frags, genre_of = self.moods, len(self.moods), self.frags, self.genre_of
        custom, ncustom = self.custom, len(self.custom)
        all_emojis, nall = self.all_emojis, len(self.all_emojis)
        users = user_pool_size(n)
        gap = o.mean_gap * 1e6
        avg2 = 2.0 * o.songs_per_request
        rid_next, sid, t = o.start_id, o.start_song_id, o.start_us
        schedule = {}
        for slot in range(o.bad_rows):
            schedule.setdefault((slot + 1) * n // (o.bad_rows + 1), []).append(slot)
        tricky_i = n // 2 if o.bad_rows else -1
        rq_buf = self.rq.buf if self.rq else None
        sg_buf = self.sg.buf if self.sg else None
        jl_buf = self.jl.buf if self.jl else None
        n_songs = 0
        for i in range(n):
            if rnd() < 0.002:
                rid_next += 1 + int(rnd() * 3)  # ids of rolled-back inserts never reappear
            rid = rid_next
            rid_s = str(rid)
            rid_next += 1
            t += int(-log(1.0 - rnd()) * gap) + 1
            ts = clock(t)
            m = moods[int(nm * rnd() ** 1.6)]
            entry = m.pool[int(rnd() * POOL_QUERIES)]
            text = entry[0]
            r = rnd()
            if r < 0.25:
                text = text.lower()
            elif r < 0.3:
                text = text[0].upper() + text[1:]
            if rnd() < 0.12:
                text += DECORATIONS[int(rnd() * len(DECORATIONS))]
            k = EMOJI_COUNTS[int(rnd() * 100)]
            if k and rnd() < 0.12:
                text = ""
            if i == tricky_i:
                text = TRICKY_TEXT
            if k:
                picks = []
                pool, npool = m.emojis, len(m.emojis)
                while len(picks) < k:
                    e = pool[int(rnd() * npool)] if rnd() < 0.85 else all_emojis[int(rnd() * nall)]
                    if e not in picks:
                        picks.append(e)
                emo_j = '["' + '", "'.join(picks) + '"]'
                emo_c = '"' + emo_j.replace('"', '""') + '"'
            else:
                emo_j, emo_c = "null", ""
            if rnd() < 0.35:
                user_c, user_j = "", "null"
            else:
                user_c = user_j = str(int(users * rnd() ** 2) + 1)
            num = NUM_SONGS[int(rnd() * 20)]
            r = rnd()
            if r < 0.03:
                ana_c, ana_j = "", "null"
            elif r < 0.04:
                ana_c, ana_j = custom[int(rnd() * ncustom)]
            else:
                ana_c, ana_j = entry[1], entry[2]
            x = rnd() * avg2
            ns = int(x)
            if rnd() < x - ns:
                ns += 1
            if ns > num:
                ns = num
            prov = 0 if rnd() < 0.4 else 1
            tl = m.tracks
            ntl = len(tl)
            used = []
            songs_j = []
            st = t + 300000 + int(rnd() * 2500000)
            for pos in range(1, ns + 1):
                while True:
                    r = rnd()
                    ti = tl[int(ntl * r * r)]
                    if ti not in used:
                        break
                used.append(ti)
                fl = frags[ti][2 if rnd() < 0.06 else prov]
                f = fl[0] if rnd() < 0.7 else fl[int(rnd() * len(fl))]
                g = genre_of[ti]
                r = rnd()  # 2% of songs have no why, 5% no matched_criteria
                why = m.why_pool[g][int(r * WHY_SCALE)] if r < 0.98 else NULL_PAIR
                r = rnd()
                crit = m.crit_pool[g][int(r * CRIT_SCALE)] if r < 0.95 else NULL_PAIR
                if i == tricky_i and pos == 1:
                    why = (csv_field(TRICKY_WHY), json_str(TRICKY_WHY))
                st += 5000 + int(rnd() * 40000)
                sts = clock(st)
                if sg_buf is not None:
                    sg_buf.append("%d,%s,%s,%d,%s,%s,%s,%s\n" % (
                        sid, rid_s, user_c, pos, f[0], why[0], crit[0], sts))
                if jl_buf is not None:
                    songs_j.append('{"id":%d,"request_id":%d,"user_id":%s,"position":%d,%s,'
                                   '"why_gemini_chose":%s,"matched_criteria":%s,"created_at":"%s"}'
                                   % (sid, rid, user_j, pos, f[1], why[1], crit[1], sts))
                sid += 1
            n_songs += ns
            csv_line = json_line = None
            if rq_buf is not None:
                csv_line = "%d,%s,%s,%s,%d,%s,%s\n" % (rid, user_c, csv_field(text), emo_c, num,
                                                       ana_c, ts)
                rq_buf.append(csv_line)
                if len(rq_buf) > 4096:
                    self.rq.flush()
                if len(sg_buf) > 4096:
                    self.sg.flush()
            if jl_buf is not None:
                json_line = ('{"id":%d,"user_id":%s,"text_description":%s,"emojis":%s,'
                             '"num_songs_requested":%d,"gemini_analysis":%s,"created_at":"%s",'
                             '"songs":[%s]}\n') % (rid, user_j, json_str(text), emo_j, num, ana_j,
                                                   ts, ",".join(songs_j))
                jl_buf.append(json_line)
                if len(jl_buf) > 4096:
                    self.jl.flush()
            if i in schedule:
                req = Req()
                req.rid, req.user_c, req.user_j, req.text = rid, user_c, user_j, text
                req.emo_c, req.emo_j, req.num, req.ana_c, req.ana_j = emo_c, emo_j, num, ana_c, ana_j
                req.ts, req.extra_pos = ts, ns
                req.csv_line, req.json_line = csv_line, json_line
                for slot in schedule[i]:
                    self.inject(slot, req, rid_next, sid)
                    rid_next += 1
                    sid += 1
        self.counts["requests"] = n
        self.counts["songs"] = n_songs
        for out in (self.rq, self.sg, self.jl):
            if out:
                out.close()
        if o.bad_rows:
            self.write_rejects()
        return self.counts

    def write_rejects(self):
        path = os.path.join(self.opt.out, "expected_rejects.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write("file,line,column,reason,outcome,kind\n")
            for row in sorted(self.rejects):
                f.write(",".join(str(v) for v in row) + "\n")


# ----------------------------------------------------------------------- CLI


def parse_time(text):
    dt = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (dt - epoch) // datetime.timedelta(microseconds=1)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Generate a deterministic MoodMusic2 export (PostgreSQL \\copy CSV and/or "
                    "jsonl) of user_requests and recommended_songs.")
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument("--requests", type=int, required=True, help="number of valid requests")
    p.add_argument("--songs-per-request", type=float, default=2.0,
                   help="average songs per request (default 2.0)")
    p.add_argument("--format", choices=("pg_csv", "jsonl", "both"), default="pg_csv")
    p.add_argument("--gzip", action="store_true", help="write .gz files")
    p.add_argument("--start-id", type=int, default=1, help="first request id (default 1)")
    p.add_argument("--start-song-id", type=int, default=None,
                   help="first song id (default: (start-id - 1) * songs-per-request + 1)")
    p.add_argument("--start-time", default="2025-01-01T00:00:00Z",
                   help="created_at of the first request, ISO 8601 (default 2025-01-01T00:00:00Z)")
    p.add_argument("--mean-gap", type=float, default=30.0,
                   help="mean seconds between requests (default 30)")
    p.add_argument("--bad-rows", type=int, default=0,
                   help="invalid records to inject per format, listed in expected_rejects.csv")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("--quiet", action="store_true", help="no summary line on stderr")
    opt = p.parse_args(argv)
    if opt.requests < 0 or opt.bad_rows < 0 or opt.songs_per_request < 0 or opt.mean_gap <= 0:
        p.error("--requests, --bad-rows and --songs-per-request must be >= 0, --mean-gap > 0")
    if opt.songs_per_request > 25:
        p.error("--songs-per-request: at most 25")
    if opt.bad_rows and opt.requests < 1:
        p.error("--bad-rows needs --requests >= 1")
    if opt.start_id < 1 or opt.start_id + opt.requests + opt.bad_rows >= PHANTOM_REQUEST_ID:
        p.error("--start-id: ids must stay within 1..%d" % (PHANTOM_REQUEST_ID - 1))
    if opt.start_song_id is None:
        opt.start_song_id = int((opt.start_id - 1) * opt.songs_per_request) + 1
    try:
        opt.start_us = parse_time(opt.start_time)
    except ValueError as e:
        p.error("--start-time: %s" % e)
    return opt


def main(argv=None):
    opt = parse_args(sys.argv[1:] if argv is None else argv)
    os.makedirs(opt.out, exist_ok=True)
    began = time.monotonic()
    gen = Generator(opt)
    gc.freeze()  # the catalog lives to the end; the row loop makes no reference cycles
    gc.disable()
    counts = gen.run()
    took = time.monotonic() - began
    if not opt.quiet:
        rows = counts["requests"] + counts["songs"]
        print("gen_sample: %d requests, %d songs, %d bad rows per format in %s (%.1fs, %.0f rows/s)"
              % (counts["requests"], counts["songs"], counts["bad_rows"], opt.out, took,
                 rows / took if took > 0 else 0), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
