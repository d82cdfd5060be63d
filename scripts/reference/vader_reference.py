#!/usr/bin/env python3
"""Writes Tests/EmoPipeFusionTests/Reference/vader.json: VADER's compound score (vaderSentiment
3.3.2, `pip install vaderSentiment==3.3.2`) for sentences written for this project, each exercising
one of VADER's rules (boosters, negation, "no", "least", ALL CAPS, "but", idioms, punctuation).
SentimentScorerTests compares EmoPipe's port with these within 1e-6."""
import json
import os

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

SENTENCES = [
    "The weather today is good.",
    "The weather today is very good.",
    "The weather today is not good.",
    "I am not really happy about it.",
    "It was kind of nice, I guess.",
    "She is sort of sad and slightly tired.",
    "No problem at all.",
    "There is no joy and no hope here.",
    "I do not have any doubt or hatred.",
    "This is the least fun I have had.",
    "At least it was not terrible.",
    "I LOVE this plan but the timing is bad.",
    "I love it, but I hate the price.",
    "It was GREAT and the food was fine!!",
    "Is it good??",
    "Are you serious???? That is awful.",
    "Never so happy in my life.",
    "Without doubt the best day.",
    "That movie was the bomb.",
    "Yeah right, like that would work.",
    "Um, I mean, I don't know, maybe it's fine, maybe it isn't.",
    "I wanted to go, but honestly I was scared and anxious.",
    "Nothing is wrong, everything is absolutely wonderful.",
    "I hardly enjoyed the terribly long meeting.",
    "The kiss of death for this project.",
    "",
    "Just words with nothing rated in them.",
    "I can't say that I'm not worried.",
    "It's really, really hard for me to stop smoking.",
    "He was extremely UPSET and really angry.",
]

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "..", "Tests", "EmoPipeFusionTests", "Reference", "vader.json")
analyzer = SentimentIntensityAnalyzer()
cases = [{"text": s, "compound": analyzer.polarity_scores(s)["compound"]} for s in SENTENCES]
with open(out, "w") as f:
    json.dump(cases, f, indent=1)
    f.write("\n")
print("wrote", out)
