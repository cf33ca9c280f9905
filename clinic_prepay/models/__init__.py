from . import clinic_treatment
