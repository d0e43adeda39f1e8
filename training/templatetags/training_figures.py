"""`{% load training_figures %}{{ run.mean_f1|figure }}`: a run's figures rounded by
training.figures, the one place that rounds them."""
from django import template

from training import figures

register = template.Library()


@register.filter
def figure(value):
    """"0.918"; "" for a missing figure (pair it with |default:"–")."""
    try:
        return figures.metric_text(value)
    except (TypeError, ValueError):
        return ""
