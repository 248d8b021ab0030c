"""Each notebook's questions: `from resnext_edu.exercises.nb01 import *` gives q1, q2, ... and ____."""
from .core import (CS, EqualityProblem, Feedback, FunctionProblem, Incorrect, MultipleChoiceProblem,  # noqa: F401
                   Problem, bind_exercises, ____)
