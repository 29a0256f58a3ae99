"""Forum threads `preceptor demo` seeds.

Real-sounding peer conversations among physician mentors, so a newcomer sees a lively,
credible forum on first run. Pure data: authors are demo user labels, categories are slugs.
No patient identifiers appear anywhere, as the forum itself requires.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoPost:
    author: str  # a demo user label
    body: str  # Markdown
    days_ago: float  # when it was posted, relative to now (larger = older)
    anonymous: bool = False


@dataclass(frozen=True)
class DemoThread:
    category: str  # category slug
    title: str
    posts: tuple[DemoPost, ...]  # the first is the opening post
    # (index of post in posts, label of the user who found it helpful)
    helpful: tuple[tuple[int, str], ...] = ()
    answer: int | None = None  # index of the post the thread author marked as the answer
    pinned: bool = False


DEMO_THREADS: tuple[DemoThread, ...] = (
    DemoThread(
        category="introductions",
        title="Welcome: how to use this forum (please read before posting)",
        posts=(
            DemoPost(
                author="educator",
                body=(
                    "**Welcome to the Preceptor mentor forum.** This is a place to compare "
                    "notes on the parts of mentoring the training modules can't fully cover: "
                    "the awkward conversation, the stalled goal, the mentee who goes quiet.\n\n"
                    "A few ground rules:\n\n"
                    "- **Post in the closest category.** If your question fits two, pick one; "
                    "we'll move it if needed.\n"
                    "- **Mark the reply that answered your question** so the next person finds "
                    "it quickly.\n"
                    '- **Use "helpful"** on posts that changed how you\'d handle something.\n'
                    "- **Common challenges allows anonymous posts.** Use that when the "
                    "situation is sensitive.\n\n"
                    "> **Never post patient identifiers.** No names, dates of service, record "
                    "numbers, room numbers, or details rare enough to point to one person. "
                    "Describe the situation, not the patient. The same applies to mentees: "
                    "change anything that would make them recognizable.\n\n"
                    "If in doubt, leave it out. Maria and I moderate; flag anything that needs "
                    "a second look."
                ),
                days_ago=20.9,
            ),
            DemoPost(
                author="coordinator",
                body=(
                    "Adding the practical side. Your **forum handle** is your name in lower "
                    "case with hyphens, so you can reach me at @maria-santos and Dr. Mehta at "
                    "@rahul-mehta. A mention sends a notification; a plain name doesn't.\n\n"
                    "Posts here don't count toward certification hours on their own. If a "
                    "thread turns into a case discussion you think should be credited, message "
                    "me and I'll tell you whether it qualifies.\n\n"
                    "If you spot a post with identifying details, **use the flag button rather "
                    "than replying**, so the detail isn't quoted back into the thread. I'll "
                    "remove it and contact the author privately."
                ),
                days_ago=20.6,
            ),
        ),
        helpful=(
            (0, "mentor-certified"),
            (1, "mentor-new"),
        ),
        pinned=True,
    ),
    DemoThread(
        category="introductions",
        title="Hello from Internal Medicine: clinical reasoning and career decisions",
        posts=(
            DemoPost(
                author="mentor-certified",
                body=(
                    "Hi all, I'm Amara Osei, general internal medicine, about twelve years out "
                    "of residency. I split my time between the inpatient wards and a "
                    "continuity clinic. I've mentored residents informally for most of that "
                    "time; this is my first structured program.\n\n"
                    "What I mentor on most:\n\n"
                    "- **Clinical reasoning out loud**, especially for residents who reach the "
                    "right answer but can't explain how they got there\n"
                    "- **Career decisions** in the last year of residency: fellowship, "
                    "hospitalist work, or primary care\n"
                    "- Getting through the first year as an attending without running on empty\n\n"
                    "What I'm still working on: feedback that is specific enough to act on. "
                    "Glad to trade notes with anyone in a different specialty."
                ),
                days_ago=19.2,
            ),
            DemoPost(
                author="mentor-ready",
                body=(
                    "Hello, Sarah Lindqvist, general surgery, two years out of fellowship. I'm "
                    "close enough to residency that the residents treat me like an older "
                    "sibling, which helps and hurts.\n\n"
                    "I mentor mostly on **operative autonomy**: how a chief earns more of the "
                    "case, and how to ask for it without sounding like they're angling. I also "
                    "get a lot of questions about research time in a surgical program and "
                    "whether a dedicated lab year is worth it.\n\n"
                    "@amara-osei, I'll take you up on the cross-specialty trade. Feedback in "
                    "the OR tends to be either instant and blunt or nothing at all, and I'd "
                    "like a middle gear."
                ),
                days_ago=18.7,
            ),
            DemoPost(
                author="mentor-new",
                body=(
                    "Welcome, both. Wei Zhang, pediatrics, newly enrolled, so I'm reading more "
                    "than posting for now.\n\n"
                    "Something I noticed: you both listed career decisions. In pediatrics the "
                    "question I hear most is whether a subspecialty is worth the extra "
                    "training when the pay difference is small or even negative. If anyone has "
                    "a way into that conversation that doesn't end at \"follow your "
                    "interest,\" I'd like to hear it. I suspect I'll be in Goal setting asking "
                    "for help soon enough."
                ),
                days_ago=17.9,
            ),
        ),
        helpful=(
            (1, "mentor-certified"),
            (0, "mentor-ready"),
        ),
    ),
    DemoThread(
        category="communication",
        title="How do you give feedback after a procedure that went badly?",
        posts=(
            DemoPost(
                author="mentor-ready",
                body=(
                    "Looking for how others handle this. A PGY-4 I mentor had a laparoscopic "
                    "case go poorly: slow dissection, a bleed that meant I had to take over, "
                    "conversion to open. The patient did fine. The resident barely spoke for "
                    "the rest of the day.\n\n"
                    "My instinct is to debrief right away, but I'm not sure whether that helps "
                    "or piles on. I've been on the receiving end of a scrub-room debrief where "
                    "the attending listed everything I did wrong, and I heard none of it.\n\n"
                    "- Do you debrief the same day or wait?\n"
                    "- How do you separate the technical feedback from the emotional part?\n"
                    "- How much do you share about your own bad cases?"
                ),
                days_ago=15.4,
            ),
            DemoPost(
                author="mentor-expired",
                body=(
                    "Emergency medicine, so my procedures are lines, airways and chest tubes, "
                    "but the pattern holds.\n\n"
                    "I have **two conversations**. Right after: two minutes, no teaching. "
                    "\"That was a hard case. You're okay. Let's go through it tomorrow.\" "
                    "Adrenaline is still up and nothing technical sticks.\n\n"
                    "Next day, **ask-tell-ask**:\n\n"
                    '1. *Ask*: "Walk me through it. Where did it start to feel wrong?"\n'
                    '2. *Tell*: one or two specific behaviors, not a verdict. "You lost the '
                    'plane twice before the bleed" is usable. "Your dissection was sloppy" '
                    "isn't.\n"
                    '3. *Ask*: "What would you do differently at that point next time?"\n\n'
                    "Most residents name the problem themselves in step one, which makes step "
                    "two much shorter."
                ),
                days_ago=14.9,
            ),
            DemoPost(
                author="mentor-certified",
                body=(
                    "@tomas-rivera's two-step structure matches what works on the medicine "
                    "side after a failed procedure or a bad call on rounds. Two additions:\n\n"
                    "- **Name the behavior, then its effect.** \"You didn't call for help when "
                    'the pressure dropped, so we lost about five minutes" is something a '
                    'resident can change. "Be more proactive" isn\'t.\n'
                    "- **Share one of your own cases briefly, and only after they've "
                    "reflected.** Lead with it and the debrief becomes about you. Close with "
                    "it and it tells them this is survivable.\n\n"
                    "Then write down the one thing you agreed on, and bring it up before the "
                    "next similar case so the feedback has a follow-through."
                ),
                days_ago=14.2,
            ),
            DemoPost(
                author="mentor-ready",
                body=(
                    "Tried this. A short check-in the evening of the case, then the full "
                    "debrief the next morning over coffee instead of in the surgeons' lounge.\n\n"
                    "> Where did it start to feel wrong?\n\n"
                    "That question did most of the work. The resident pointed to the exact "
                    "moment they lost the plane, and said they'd felt it and kept going "
                    "because they didn't want me to take over. That's a far more useful "
                    "conversation than the one I'd planned about dissection technique.\n\n"
                    "**Marking Tomás's reply as the answer.** Amara's point about following up "
                    "before the next case is going into my notes."
                ),
                days_ago=13.1,
            ),
        ),
        helpful=(
            (1, "mentor-ready"),
            (1, "mentor-certified"),
            (1, "mentor-new"),
            (2, "mentor-ready"),
            (2, "educator"),
        ),
        answer=1,
    ),
    DemoThread(
        category="goal-setting",
        title='My mentee wants to "publish more": turning that into a SMART/GROW goal',
        posts=(
            DemoPost(
                author="mentor-new",
                body=(
                    "My mentee, a second-year pediatrics resident, opened our last meeting "
                    'with "I want to publish more." I nodded, we spent twenty minutes on '
                    "possible projects, and we finished with nothing concrete. I think I let a "
                    "wish pass for a goal.\n\n"
                    "Where they are: one abstract from medical school, a half-finished chart "
                    "review with a faculty member who has since left, and fellowship "
                    "applications in about eighteen months.\n\n"
                    'How would you turn "publish more" into something they can actually work '
                    "toward? I've read about SMART and GROW in the modules, but it's harder to "
                    "apply in the room than on the page."
                ),
                days_ago=11.6,
            ),
            DemoPost(
                author="educator",
                body=(
                    "The most common goal I hear, and it's rarely about publishing. Use "
                    "**GROW** to find the real goal, then **SMART** to write it down.\n\n"
                    '- **Goal**: ask "why more papers?" The usual answer is fellowship '
                    "applications. That's the goal.\n"
                    "- **Reality**: one abstract, one stalled project, no current research "
                    "mentor.\n"
                    "- **Options**: revive the chart review, join an existing project, write "
                    "up a case.\n"
                    "- **Will**: what they'll do, and by when.\n\n"
                    "The rewritten goal might read:\n\n"
                    "> **Within four months, submit the existing chart review as an abstract "
                    "to a regional pediatrics meeting, with a new faculty co-author confirmed "
                    "within three weeks and meetings every two weeks.**\n\n"
                    "Specific, measurable, achievable, relevant to fellowship, time-bound."
                ),
                days_ago=11.1,
            ),
            DemoPost(
                author="mentor-certified",
                body=(
                    "Agree with @rahul-mehta, and one addition: **separate the outcome goal "
                    "from the process goal.** Acceptance isn't in your mentee's control. "
                    "Submission and protected writing time are.\n\n"
                    "Alongside the submission goal I'd add something like \"two 90-minute "
                    'writing blocks a week, on the calendar, reviewed at each meeting." '
                    "That's the part that slips on a heavy rotation.\n\n"
                    "Also check the stalled project before committing to it. Is the data still "
                    "accessible, is the IRB approval still active, and will the departed "
                    "faculty member hand it over? A half-finished project with an absent PI "
                    "can eat six months."
                ),
                days_ago=10.4,
            ),
            DemoPost(
                author="mentor-new",
                body=(
                    'Exactly what I needed. We met again this morning and I asked "why more '
                    'papers?" before we touched projects. The answer was fellowship, as '
                    "predicted, but also a sense of being behind classmates who took research "
                    "years.\n\n"
                    "What we wrote together:\n\n"
                    "> Within four months, submit the chart review as an abstract to a "
                    "regional meeting, with a new faculty co-author confirmed in the next "
                    "three weeks. Two writing blocks a week, reviewed at each of our meetings.\n\n"
                    "The first step was an email to the division research lead, sent before "
                    "they left the room. Marking Rahul's reply as the answer; Amara's IRB "
                    "check is next on the list."
                ),
                days_ago=9.8,
            ),
        ),
        helpful=(
            (1, "mentor-new"),
            (1, "mentor-ready"),
            (1, "coordinator"),
            (2, "mentor-new"),
        ),
        answer=1,
    ),
    DemoThread(
        category="common-challenges",
        title="Resident seems burned out after a patient death. How do I respond?",
        posts=(
            DemoPost(
                author="mentor-certified",
                body=(
                    "Posting anonymously because the resident could otherwise be recognized.\n\n"
                    "A resident I mentor was closely involved in the care of a patient who "
                    "died unexpectedly a couple of weeks ago. Since then they've been flat in "
                    "our meetings, with short answers, and mentioned in passing that they're "
                    '"not sleeping much" and "wondering if this is the right job." Their '
                    "clinical work looks fine so far, which may be why nobody else has "
                    "noticed.\n\n"
                    "I want to help without turning mentoring into therapy, which I'm not "
                    "qualified to provide. I also don't want to overreact to what may be "
                    "normal grief.\n\n"
                    "- What do you actually say?\n"
                    "- At what point does this stop being a mentoring conversation?"
                ),
                days_ago=8.3,
                anonymous=True,
            ),
            DemoPost(
                author="educator",
                body=(
                    "You're right to notice, and right to be careful about your role.\n\n"
                    "**Listen; don't fix.** Reflect back what you hear: \"It sounds like "
                    "you've been carrying this since it happened, and it's shaken your sense "
                    'of whether you belong here." Then stop talking. Most people have already '
                    "been given advice; few have been heard.\n\n"
                    "**Normalize without minimizing.** Many clinicians are shaken by a patient "
                    "death. It isn't weakness, and they shouldn't handle it alone.\n\n"
                    "**Know when to refer.** Weeks of poor sleep, withdrawal and doubts about "
                    "the career are reasons to offer the **employee assistance program** or "
                    "the resident wellbeing service. Present it as something many people use, "
                    "and offer to help make the call.\n\n"
                    "**If there's any safety concern, ask directly**: \"Have you had thoughts "
                    "of harming yourself?\" Asking doesn't plant the idea. If the answer is "
                    "yes, don't leave them alone; involve the program director and on-call "
                    "support the same day."
                ),
                days_ago=7.9,
            ),
            DemoPost(
                author="mentor-expired",
                body=(
                    "Thirty years of emergency medicine, and one practical thing to add to "
                    "@rahul-mehta's reply: **tell them about your own first one**, if you have "
                    "one and it fits. Not the details, just that it happened, that it stayed "
                    "with you, and what helped. Residents often assume attendings stop feeling "
                    "this.\n\n"
                    "Also find out whether the team ever debriefed. In my department we run a "
                    "short debrief after unexpected deaths, and residents who missed it "
                    "because they were off the next day tend to struggle more. If it didn't "
                    "happen, it's reasonable to ask the program whether one can still be "
                    "arranged."
                ),
                days_ago=7.2,
            ),
            DemoPost(
                author="mentor-certified",
                body=(
                    "Thank you both. I had the conversation yesterday and mostly listened, "
                    "which was harder than I expected; I kept wanting to reassure.\n\n"
                    "When I reflected back what they'd said about not sleeping, they told me "
                    "nobody had asked since it happened. I asked directly about self-harm. "
                    "They said no, and seemed relieved to be asked rather than offended. They "
                    "agreed to contact the employee assistance program, and we looked up the "
                    "number together before they left.\n\n"
                    "I've also asked the program about a delayed team debrief. Marking the "
                    "first reply as the answer: offering to help make the call is what got it "
                    "done."
                ),
                days_ago=5.6,
                anonymous=True,
            ),
        ),
        helpful=(
            (1, "mentor-ready"),
            (1, "mentor-new"),
            (1, "coordinator"),
            (1, "admin"),
            (2, "mentor-new"),
            (2, "educator"),
        ),
        answer=1,
    ),
    DemoThread(
        category="common-challenges",
        title="Mentoring across specialties: a surgeon mentoring an internist?",
        posts=(
            DemoPost(
                author="mentor-ready",
                body=(
                    "The program matched me with an internal medicine PGY-2 who asked for a "
                    "mentor outside their specialty on purpose. They want someone who won't be "
                    "writing their letters and who sees their field from a distance.\n\n"
                    "I'm glad to do it, but I know what I don't know: I've never run a "
                    "continuity clinic, I don't know the IM fellowship landscape, and my "
                    "instinct for most problems is to operate.\n\n"
                    "For those who've mentored across specialties:\n\n"
                    "- What can an outsider actually offer?\n"
                    "- When do you hand a question to someone in their field?\n"
                    "- Did you set that boundary up front?"
                ),
                days_ago=6.5,
            ),
            DemoPost(
                author="educator",
                body=(
                    "I've mentored two surgical residents as an internist, so the mirror "
                    "image. What an outsider offers is **distance**: no stake in their "
                    "schedule, their evaluations, or which fellowship they choose. Residents "
                    "tell an outsider things they won't tell their own faculty.\n\n"
                    "You'll be strongest on time management, conflict within a team, the move "
                    "to attending, and what kind of doctor they want to be. You'll be weakest "
                    "on specialty-specific career logistics.\n\n"
                    "Say this at the first meeting: **\"For fellowship specifics, I'll connect "
                    'you with someone in medicine."** Then actually do it. @amara-osei would '
                    "be a natural person to bring in."
                ),
                days_ago=6.1,
            ),
            DemoPost(
                author="mentor-certified",
                body=(
                    "Happy to be brought in, @sarah-lindqvist. Send them my way for fellowship "
                    "and clinic questions, and I'll stay out of the rest unless asked.\n\n"
                    "One observation from the other side: IM residents often feel slow next to "
                    "their surgical colleagues, because the work product is a plan and a note "
                    'rather than a finished operation. A surgeon saying "your reasoning on '
                    'that admission was careful and right" carries real weight precisely '
                    "because it comes from outside. Don't underestimate that."
                ),
                days_ago=5.2,
            ),
            DemoPost(
                author="mentor-ready",
                body=(
                    "Thank you both. At our first meeting we agreed on a simple split: I cover "
                    'the general ground (workload, team conflict, the occasional "should I '
                    'even be doing this"), and **fellowship questions go to Amara with me '
                    "copied**, so I learn the landscape too.\n\n"
                    "The resident said that arrangement was exactly why they'd asked for an "
                    "outsider. Marking Rahul's reply as the answer."
                ),
                days_ago=4.4,
            ),
        ),
        helpful=(
            (1, "mentor-ready"),
            (1, "mentor-expired"),
            (2, "mentor-ready"),
            (2, "educator"),
        ),
        answer=1,
    ),
    DemoThread(
        category="peer-connections",
        title="Early-career attendings mentoring residents: monthly peer call?",
        posts=(
            DemoPost(
                author="mentor-ready",
                body=(
                    "A question for the early-career attendings. Mentoring residents two or "
                    "three years behind me is its own thing: I remember their problems "
                    "vividly, but I'm still learning my own job, and I don't always know where "
                    "friendly advice ends and mentoring begins.\n\n"
                    "Would anyone join a **monthly 45-minute video call** for early-career "
                    "mentors? Rough format:\n\n"
                    "1. One person brings a mentoring situation (no identifiers, same rules as "
                    "the forum)\n"
                    "2. Twenty minutes of discussion\n"
                    "3. Everyone leaves with one thing to try before the next call\n\n"
                    "No lecture, no slides. If there's interest, I'll propose a few times."
                ),
                days_ago=3.6,
            ),
            DemoPost(
                author="mentor-new",
                body=(
                    "I'm in. Not early-career by years, but new to structured mentoring, which "
                    "I suspect is the same problem from a different angle. Evenings work "
                    "better for me than lunch; clinic runs over most days.\n\n"
                    "One suggestion: rotate who brings the situation, and post a one-paragraph "
                    "summary here afterward so people who can't make the call still get "
                    "something from it."
                ),
                days_ago=3.1,
            ),
            DemoPost(
                author="coordinator",
                body=(
                    "@sarah-lindqvist, I can set this up through the program so it has a "
                    "standing video link and lands on everyone's calendar. Two things would "
                    "help:\n\n"
                    "- **Times**: send me two or three options and I'll run a quick poll.\n"
                    "- **Credit**: a structured monthly case discussion can count toward "
                    "recertification hours with a short attendance record. I'll keep the "
                    "record; the facilitator just confirms who joined.\n\n"
                    "@wei-zhang's idea of a written summary is a good one. Post it in this "
                    "category, and keep it to the situation and the takeaway."
                ),
                days_ago=2.3,
            ),
            DemoPost(
                author="mentor-expired",
                body=(
                    "Not early-career by a long way, but if you'd like a senior person to drop "
                    "in now and then, I'm glad to. I'm just as glad to stay away if the "
                    "conversation is freer without one. Your call, @sarah-lindqvist.\n\n"
                    "Maria's note about recertification hours is also a useful nudge for me: "
                    "my certification lapsed over a busy winter and renewal has been on my "
                    "list for too long."
                ),
                days_ago=0.6,
            ),
        ),
        helpful=(
            (0, "mentor-new"),
            (1, "mentor-ready"),
            (2, "mentor-ready"),
            (2, "mentor-new"),
        ),
    ),
)
