"""Each notebook's questions: `from resnext_edu.exercises.nb01 import *` gives q1, q2, ... and ____."""
from .core import CS, EqualityProblem, Feedback, Incorrect, Problem, bind_exercises, ____  # noqa: F401
