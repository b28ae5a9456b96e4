public enum SceneGeneratorPlaceholder {}
