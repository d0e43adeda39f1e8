"""One small SYNTHETIC document per demo hand, so a first run's results show citations. Written
for ArtGuard's demo about the invented painters of datasets/synthetic/; labelled as such in its
title, its licence note and its first line. Nothing in them is about a real artist."""
from __future__ import annotations

from datasets.knowledge import records
from datasets.knowledge.extract import KnowledgeError
from datasets.knowledge.services import Source, artist_for_documents, knowledge_upload
from datasets.knowledge.workflow import knowledge_index_build

LABEL = ("SYNTHETIC DEMO DOCUMENT, written for ArtGuard's demo. {name} is an invented painter whose works are generated "
         "images; nothing here describes a real artist or real works.")

# name: (imitator, light, strokes, imitations) after datasets.synthetic.HANDS
DOCUMENTS = {
    "Demo Hand A": ("B", "the upper left", "slim directional strokes, about 5 px wide and 30 px long, that follow the contours of the forms",
                    "shorter, wider, more scattered and more curved strokes, and a weaker impasto lit from varying sides"),
    "Demo Hand C": ("D", "one side", "short broad dabs, about 8 px wide and 17 px long, set in scattered directions",
                    "longer, slimmer and more curved dabs, and a weaker impasto lit from anywhere"),
}


def demo_document(name: str) -> str:
    imitator, light, strokes, imitations = DOCUMENTS[name]
    return f"""# {name}: technique and known forgeries (synthetic demo)

{LABEL.format(name=name)}

## Technique and brushwork

{name} paints in {strokes}, loaded with paint at the start of each stroke and dragged thin at its end, with fine
bristle streaks inside each stroke. The impasto catches a light from {light}, the same in every painting.

## Known forgeries and how they were exposed

The imitator known as Demo Hand {imitator} copied {name}'s compositions and palette. The imitations were exposed by
their brushwork: {imitations}.

## Print reproductions

Printed reproductions of {name}'s paintings were sold as originals. They are exposed by the regular halftone dot
screen and the resampling blur of the printed texture, and by the absence of relief at the stroke ends.

## Generated look-alikes

Generated look-alikes imitate the palette but repeat one small tile of brushwork texture across the picture, with
smooth gradients between the repeats and upsampling artefacts.
"""


def demo_documents_ensure(*, names, say=print) -> int:
    """Store and index the demo document of each named demo hand that lacks one; returns how many
    were added. Indexed here, not in the worker, because the bootstrap runs before it starts."""
    added = 0
    for name in names:
        if name not in DOCUMENTS:
            continue
        artist = artist_for_documents(name)
        if any(doc.active for doc in records.documents_for_artist(slug=artist.slug)):
            continue
        try:
            knowledge_upload(artist=artist.slug, filename=f"{artist.slug}-demo-notes.md", data=demo_document(name).encode(),
                             source=Source(title=f"{name}: technique and known forgeries (SYNTHETIC DEMO DOCUMENT)",
                                           author="ArtGuard demo", citation="Written for ArtGuard's demo; not a real source.",
                                           licence="Synthetic demo text"), by="bootstrap_demo", index=False)
        except KnowledgeError as error:  # already uploaded once and withdrawn by staff: leave it so
            say(f"      Demo document for {name} not added: {error}")
            continue
        knowledge_index_build(slug=artist.slug)
        added += 1
    return added
