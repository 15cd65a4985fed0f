"""The numbers: evidence, calibrated curves, the patient model, uncertainty and scenarios.

numpy only at run time; never imports textual, rich, platformdirs or lifelines.
"""
