"""Topic-neutral templates for English articles, written for this project.

Slots every topic fills: {activity} (gerund phrase), {noun} and {tool} (singular, no article),
{things} (plural), {place} and {person} (with a determiner), {problem} and {goal} (with "a"/"the"),
{skill} (gerund phrase), {adj}. Generic slots come from ``lexicon.generic_pools``.
"""

OPENERS = (
    "[Honestly|Frankly|To be honest],", "[Looking back|In hindsight|With hindsight],",
    "[By|Around|Towards the end of] {month},", "[After|Within] {small} [weeks|months|sessions],",
    "[In my experience|For what it is worth|As far as I can tell],", "[Oddly|Strangely|Funnily] enough,",
    "[On a good day|On a bad day|Most weeks],", "[Every|Each] {season},", "[Back in|Around] {year},",
    "[At first|To begin with|Early on],", "[Either way|All the same|Even so],", "[Sure enough|Predictably],",
    "[Again|Once more],", "[Of course|Naturally],", "[Here in|Up in|Down in] {town},",
    "[As {name} puts it|As {name} likes to say|According to {name}],",
)

TAILS = (
    "[, at least in my experience|, at least for me|, in my case]", "[, more or less|, give or take|, roughly]",
    "[, which still surprises me|, which surprised everyone|, to my surprise]",
    "[, or so it seemed|, or so I thought at the time]", "[ most of the time| nine times out of ten]",
    "[, for better or worse|, like it or not]", "[ on most {weekday}s| by the end of {month}]",
)

SENTENCES = (
    "When I first started {activity}, I [assumed|was convinced|honestly believed] that the {noun} [mattered most|was the whole story|was where the skill lived], and I was [wrong|mistaken|only half right].",
    "[It took me|I needed] [about|roughly|close to] {small} [months|seasons|years] to [understand|accept|notice] that {skill} [matters more than|beats|is worth more than] any {tool} you can buy.",
    "[My advice|The advice I give everyone|What I tell friends] is [simple|boring|unglamorous]: [start small|begin with the basics|keep it simple], [keep notes|write things down|track what you change], and [do not|never] [rush|hurry] the {noun}.",
    "{Person} [once told me|told me years ago|likes to say] that {problem} is [usually|almost always|nearly always] [a patience problem|a timing problem|a sign of a skipped step], and [I have come to agree|that has held up|I think that is right].",
    "[Last|One] {weekday} in {month}, [I spent|we spent] [most of the afternoon|a whole morning|an entire evening] [on|fussing over|working through] the {noun}[ with {name}| while {name} watched|].",
    "[The result|What came out|The outcome] was [not perfect|far from perfect|rough around the edges], but it was [a clear step forward|better than anything I had managed before|good enough to build on].",
    "If you [only|just] [remember|take away|keep] one thing from this [post|article|piece], [let it be|make it] this: {skill} [is a habit|comes from repetition|gets easier every time], not a [talent|gift|mystery].",
    "[There is|You will find] [a lot of|plenty of|no shortage of] [advice|opinion|noise] [online|on forums|out there] about {things}, and [most of it|much of it|a good share of it] [contradicts|disagrees with|argues with] the rest.",
    "I [keep|still keep] a [small|cheap|battered] notebook [next to|beside|near] the {tool} and [write down|jot down|note] [what I changed|every change I make|the date and what happened] [each time|every session|after each attempt].",
    "[The biggest mistake|My worst habit|The thing that held me back] [in those days|early on|for years] was [trying to do everything at once|buying gear before learning the basics|ignoring {problem}].",
    "[For the first|During the first|In the first] {small} weeks, [nothing seemed to work|progress felt slow|I doubted the whole idea], and [I nearly gave up|I almost quit|I considered stopping] [more than once|twice|several times].",
    "{Name} [laughed|grinned|smiled] when I [showed off|explained|described] [my setup|what I had been doing|my routine], then [quietly|kindly|patiently] [pointed out|suggested|mentioned] [a simpler method|what I was missing|an obvious fix].",
    "[Money|Budget|Cost] [was|is] [a real concern|always a factor|never far from my mind] for me, so [I started|I began|I made do] with a [second-hand|borrowed|cheap] {tool} and [upgraded|replaced it] [only when|once] it [held me back|became the limit|fell apart].",
    "The [weather|season|light] [matters|makes a difference|plays a part] [more than|far more than] [people expect|beginners think|most guides admit], [especially|particularly] [in|during] {season}.",
    "[One evening|One morning|One weekend] I [decided|made up my mind] to [test|check|measure] [the claim|the idea|this] [properly|carefully|for myself], so I [tried|ran] {small} [versions|attempts|rounds] side by side.",
    "[Two of them|Most of them|Only one of them] [turned out|came out|ended up] [roughly the same|very different|better than expected], [which|and that] [told me|taught me|showed me] [a lot|something useful|more than any forum thread].",
    "[None of this|Nothing here] [is new|is a secret|requires special skill], [but|yet] [it took me a long time to learn|I had to learn it the hard way|nobody explained it to me clearly].",
    "I would [rather|sooner] spend {dur} on {skill} than [buy|order] another {tool}[, and my bank balance agrees|, and so would my partner|].",
    "[Around|By|Near] [the end of|the middle of] {month}, [the|my] {noun} [was|looked|felt] [properly|genuinely|reliably] {adj} [for the first time|at last].",
    "There were [setbacks|bad days|frustrating weeks], of course, [including|among them] {problem} [that|which] [cost me|ate up|wasted] [most of a weekend|a whole evening|{dur}].",
    "[People|Friends|Visitors] [often|sometimes|regularly] ask [whether|if] {activity} is [expensive|hard to start|worth the effort], and [my honest answer|the honest answer] is [that it depends|that it can be|not really].",
    "[A good|A decent|A sturdy] {tool} [helps|makes life easier], but the [habit|routine] of [checking|looking over|reviewing] the {noun} [before|after] [every session|each attempt] [helps more|matters more|does more].",
    "[These days I|Nowadays I|I now] [set aside|block out|keep] [about|roughly|at least] [an hour|two hours|ninety minutes] [every|each] {weekday} for {activity}, [and|so] [the rest of the week|everything else] [fits around it|stays flexible].",
    "[Reading|Watching videos] about {skill} [is useful|helped a little|only got me so far], but [nothing replaces|nothing beats] [doing it|practice|getting my hands dirty] [badly|slowly] [a few dozen times|over and over].",
    "[My|The] [old|first] {tool} [lasted|survived|held up for] {small} years [before|until] [it finally|the handle|something inside] [gave out|broke|wore through].",
    "[Since then|After that|From then on], I have [tried|used|tested] [several|a few|half a dozen] [replacements|alternatives|others], and [none|only one] [felt quite as good|worked as reliably].",
    "When {problem} [shows up|appears|happens], the first [thing I do|step] is to [slow down|stop and look|check the {noun}], [rather than|instead of] [changing everything at once|reaching for a new {tool}].",
    "[Small|Tiny|Modest] [changes|adjustments|tweaks] [add up|compound|pile up] [over time|over a season|faster than you think]; [a few minutes saved|one fewer mistake] [each week|each session] [becomes|turns into] [something real|a big difference] by {month}.",
    "[My|Our] [local|small|friendly] [group|club|circle] [meets|gets together] [at|near] {place} on {weekday} [evenings|mornings], and [newcomers|beginners] are [always|genuinely] welcome.",
    "[A reader|A newcomer|Someone at work] [asked|wrote to ask] [last|one] {season} how to [begin|start] {activity} on a [tight budget|small budget|shoestring], [which|and it] is a [fair|great|good] question.",
    "[The short answer|My short answer] is [to borrow before you buy|to start with what you already own|to buy one good {tool} and nothing else], then [wait|see how it goes for] [a month|a few weeks] before [spending more|any other purchase].",
    "[What surprised me most|The biggest surprise|The real surprise] was [how|just how] [quickly|slowly|calmly] the {noun} [changed|responded|settled] once I [stopped|quit] [fiddling with it|interfering|checking every minute].",
    "[We|I] [tend to|often] [forget|overlook] that {things} [vary|differ] [a lot|enormously|more than you think] from one [batch|season|brand] to the next.",
    "[That is why|This is why|Which is why] I [always|usually] [test|check|try] a new [batch|one] [on something small|on a quiet {weekday}] before [relying on|trusting] it.",
    "The [hardest|trickiest] [part|bit] [was not|has never been] the {noun} [at all|itself]; it was [staying consistent|finding time|keeping my nerve] [when|while] [life got busy|work piled up|the weather turned].",
    "There is [a quiet|a real|a particular] [satisfaction|pleasure|joy] in {skill} [well|properly], [even if|although] [nobody else|no one else] [notices|ever sees it].",
    "[Over|During] that {season}, [I kept|we kept] [track of|a record of] [every|each] [attempt|session|outing] in a [simple|plain] spreadsheet with {small} columns.",
    "The [numbers|records|log] [showed|revealed] [something|a pattern] I had [missed|not noticed|ignored]: [most|nearly all] of [my|the] [failures|problems|bad results] [happened|came] on [rushed|late|tired] [days|evenings].",
    "So I [moved|shifted] [my|our] [sessions|practice] to [earlier in the day|the weekend|quieter hours], and [things|results] [improved|got better] [almost at once|within a fortnight|quickly].",
    "If you [live|happen to live] [near|close to|around] {town}, [drop by|come along to|visit] {place} and [ask for|look for] {name}, who [knows more|has forgotten more] about {activity} than [I ever will|most experts].",
    "Not every [tip|piece of advice] travels well, [of course|naturally]; what works [in|for] {place} [may|might] [fail|not work] somewhere [wetter|colder|busier|smaller].",
    "I [also|then] [learned|found out|discovered] that [cleaning|maintaining|looking after] the {tool} [straight away|right after use|at the end of every session] [saves|spares me] [a lot of|plenty of] [trouble|grief|money] later.",
    "By the time {month} [came around|arrived|rolled around], [the|our] [routine|process|method] [felt|had become] [natural|second nature|almost automatic].",
    "[Some|Many] [readers|people] [will|might] [disagree|object], and [that is|that is perfectly] [fine|fair|healthy]; {activity} [has|leaves] room for more than one [sensible|reasonable|good] approach.",
    "The most useful change I made [this year|last year] cost [nothing|almost nothing|less than a coffee]: I started paying [closer|more] attention to the {noun}.",
    "[It is|It's] [easy|tempting] to [blame|curse] the {tool} when {problem} [appears|turns up], but [nine times out of ten|more often than not|usually] [the fault|the cause] [lies|sits] [somewhere else|with me|upstream].",
    "{Name} and I [argued|disagreed|went back and forth] [for weeks|all {season}|for a while] about {things}, and [in the end|eventually] we [both|each] [changed our minds|gave a little|met halfway].",
    "[I|We] [started|began] [with|on] a [modest|simple|humble] goal, {goal}, and [it|that] [kept me|kept us] [going|honest|focused] [through|during] {season}.",
    "[A friend|My sister|An old colleague] [lent me|gave me|passed on] a {tool} [that|which] [had sat|had been sitting] in a [garage|cupboard|shed] for {small} years, and it [still works|works beautifully|is better than mine].",
    "[Every|Each] [beginner|newcomer] I [meet|talk to] [asks|wants to know] [about|for] the [perfect|ideal|best] {tool}, [yet|but] hardly anyone asks about {skill}.",
    "[On paper|In theory], {activity} [looks|seems|sounds] [simple|straightforward|easy]; in practice [the|every] {noun} [behaves|acts|responds] [differently|its own way] [each time|every day|on every attempt].",
    "[I|We] [finally|eventually] [managed|reached] {goal} [on|one] {weekday} [in|late in] {month}, [and|after which] I [celebrated|marked the moment] with [a cup of tea|a short walk|an early night].",
    "[Looking at|Reading through] [old notes|my early notes|the first pages of my log], I [can see|notice|spot] [how much|how far] [things have|my habits have] [changed|moved on|shifted] since {year}.",
    "[Patience|Persistence|Curiosity] [is|remains] the [main|real|only] [ingredient|requirement|secret] [here|in all of this]; the rest [is detail|follows|comes with time].",
    "However you [decide|choose] to approach it, [keep it|make it] [enjoyable|fun|sustainable], because [nobody|no one] [keeps up|sticks with] a [hobby|practice|routine] they [dread|resent]."
)

HEADINGS = (
    "[Where|How] it [started|began]", "What I [got wrong|would change|learned the hard way]",
    "The {tool} question", "A note on {things}", "[Getting|Staying] [started|consistent]",
    "[Costs|Money], [briefly|honestly]", "When {problem} [strikes|shows up]", "[Tools|Gear] I [actually|still] use",
    "A {season} [experiment|log]", "[Final|Closing|Last] thoughts", "What {name} [taught|showed] me",
    "[Mistakes|Lessons] from {small} [years|seasons]", "[Practice|Routine] [notes|and habits]", "On {skill}",
    "[If you are|For those] just starting", "The [boring|unglamorous] [part|basics]", "Why the {noun} matters",
    "[Next|Up next]: {goal}",
)

TITLES = (
    "What {small} years of {activity} taught me", "{Small} [mistakes|things] I made [when|while] {activity}",
    "A beginner's [guide|notes] on {skill}", "Why I [stopped worrying about|changed my mind about] the {tool}",
    "[Notes|Lessons] from a {season} of {activity}", "How to deal with {problem}", "The case for {skill}",
    "[In praise of|A small defence of] the humble {noun}", "{Activity} on a budget: what [actually|really] matters",
    "Everything I know about {skill}, [so far|in one post]", "[A|One] year of {activity} in {town}",
)
